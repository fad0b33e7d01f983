"""Throughput of the worker loop against the bare Redis commands it wraps, in the same run.

    python bench/worker_loop.py [--entries 20000] [--batch 64]

Starts a throwaway redis-server on a free port, fills a stream with small Frame entries, and
moves them to an output stream twice: once with the bare XREADGROUP + XADD + XACK in a
MULTI/EXEC (the baseline), once with common.worker.StreamWorker. Prints entries/s of each and
the ratio, which is the loop's own overhead (decode, dataclasses, metrics, heartbeats).
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import redis  # noqa: E402

from common.config import WorkerSettings  # noqa: E402
from common.messages import Frame  # noqa: E402
from common.worker import Inbound, Outcome, Output, RunLimits, StreamWorker  # noqa: E402

IN, OUT, GROUP = "bench:in", "bench:out", "bench"


def fill(client: redis.Redis, entries: int) -> None:
    client.flushall()
    payload = Frame(camera="c", seq=0, ts_ms=0, w=64, h=64, jpeg=b"\0" * 2048).to_fields()
    pipe = client.pipeline(transaction=False)
    for _ in range(entries):
        pipe.xadd(IN, payload)
    pipe.execute()
    client.xgroup_create(IN, GROUP, id="0")


def baseline(client: redis.Redis, entries: int, batch: int) -> float:
    started, done = time.perf_counter(), 0
    while done < entries:
        reply: Any = client.xreadgroup(GROUP, "base", {IN: ">"}, count=batch, block=100)
        pipe = client.pipeline(transaction=True)
        ids = []
        for entry_id, fields in reply[0][1]:
            pipe.xadd(OUT, fields, maxlen=1_000_000, approximate=True)
            ids.append(entry_id)
        pipe.xack(IN, GROUP, *ids)
        pipe.execute()
        done += len(ids)
    return entries / (time.perf_counter() - started)


def through_worker(url: str, entries: int, batch: int) -> float:
    def copy(items: list[Inbound[Frame]]) -> list[Outcome]:
        return [[Output(OUT, item.message, 1_000_000)] for item in items]

    worker = StreamWorker(redis.Redis.from_url(url), stage="bench", group=GROUP, streams=[IN],
                          message_type=Frame, handle=copy, settings=WorkerSettings(batch_size=batch),
                          limits=RunLimits(max_messages=entries))
    started = time.perf_counter()
    worker.run()
    return entries / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--entries", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=64)
    args = parser.parse_args()
    binary = shutil.which("redis-server") or sys.exit("redis-server not on PATH")
    with tempfile.TemporaryDirectory() as tmp, subprocess.Popen(
        [binary, "--port", "0", "--unixsocket", f"{tmp}/r.sock", "--save", ""],
        stdout=subprocess.DEVNULL,
    ) as server:
        url = f"unix://{tmp}/r.sock"
        client = redis.Redis.from_url(url)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        fill(client, args.entries)
        base = baseline(client, args.entries, args.batch)
        fill(client, args.entries)
        loop = through_worker(url, args.entries, args.batch)
        server.terminate()
    print(f"entries={args.entries} batch={args.batch}")
    print(f"baseline (bare XREADGROUP + XADD + XACK): {base:,.0f} entries/s")
    print(f"StreamWorker:                            {loop:,.0f} entries/s")
    print(f"worker / baseline:                       {loop / base:.2f}")


if __name__ == "__main__":
    main()
