"""Ingest against real cameras on 127.0.0.1: a GStreamer RTSP server that we kill, freeze
(SIGSTOP) and restart, files, and sources that cannot work. The ingest runs as its own process."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterator

import pytest
import redis

from common import keys
from tests.pipeline import scrape, write_config
from tests.servers import ROOT, RedisServer, free_port, wait_for
from tests.cameras import RtspServer, wait_status

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


@dataclass
class Ingest:
    proc: subprocess.Popen[bytes]
    log: Path
    metrics_port: int
    config: Path

    def metric(self, name: str, camera: str) -> float:
        return scrape(self.metrics_port).get(f'{name}{{camera="{camera}"}}', 0.0)

    def published(self, camera: str) -> float:
        return self.metric("faas_frames_published_total", camera)


@pytest.fixture
def ingest(tmp_path: Path, redis_server: RedisServer) -> Iterator[Callable[..., Ingest]]:
    started: list[Ingest] = []

    def start(cameras: list[dict[str, Any]], **settings: Any) -> Ingest:
        config = write_config(
            tmp_path / "faas.yaml", redis={"url": redis_server.url}, cameras=cameras,
            ingest=settings, detector={"backend": {"type": "deepface", "detector_backend": "opencv"},
                                       "max_frame_age": "4s"})
        port, log = free_port(), tmp_path / "ingest.log"
        proc = subprocess.Popen([sys.executable, "-m", "services.ingest", "--config", str(config),
                                 "--metrics-port", str(port)], cwd=ROOT,
                                stdout=open(log, "wb"), stderr=subprocess.STDOUT)
        handle = Ingest(proc, log, port, config)
        started.append(handle)
        wait_for(lambda: _answers(port), timeout=30, message="ingest metrics")
        return handle

    yield start
    for handle in started:
        handle.proc.send_signal(signal.SIGTERM)
        assert handle.proc.wait(30) == 0, handle.log.read_text()[-2000:]


def _answers(port: int) -> bool:
    try:
        scrape(port)
        return True
    except OSError:
        return False


def rate(ingest: Ingest, camera: str, seconds: float) -> float:
    """Frames published per second over a measurement window of `seconds`."""
    first, started = ingest.published(camera), time.monotonic()
    time.sleep(seconds)  # a measurement window, not a wait for a condition
    return (ingest.published(camera) - first) / (time.monotonic() - started)


FAST = dict(open_timeout="3s", read_timeout="2s", reconnect_initial="0.5s", reconnect_max="2s")


def test_rtsp_camera_is_read_at_its_configured_fps(rtsp: Callable[..., RtspServer],
                                                   ingest: Callable[..., Ingest],
                                                   client: redis.Redis) -> None:
    server = rtsp()
    run = ingest([{"id": "door", "url": server.url(), "fps": 4}], **FAST)
    wait_status(client, "door", "up", timeout=30)
    measured = rate(run, "door", 10)
    print(f"rtsp camera at fps 4: {measured:.2f} frames/s over 10 s")
    assert 3.6 <= measured <= 4.4, f"{measured:.2f} fps"
    state = client.hgetall(keys.camera_state("door"))
    assert state[b"resolution"] == b"640x480" and float(state[b"fps"]) == pytest.approx(4, rel=0.15)


def test_a_killed_server_shows_down_others_keep_going_and_it_comes_back(
    rtsp: Callable[..., RtspServer], ingest: Callable[..., Ingest], client: redis.Redis,
    shared_data: Path,
) -> None:
    server = rtsp()
    run = ingest([{"id": "live", "url": server.url(), "fps": 2},
                  {"id": "file", "url": str(shared_data / "videos" / "walkby.mp4"), "fps": 2,
                   "loop": True}], **FAST)
    wait_status(client, "live", "up", timeout=30)
    wait_status(client, "file", "up", timeout=30)
    server.kill()
    down_after = wait_status(client, "live", "down", timeout=10)
    print(f"server killed: down after {down_after:.2f}s")
    assert down_after <= 2.0  # within the read timeout
    assert client.hget(keys.camera_state("live"), "last_error")
    other = rate(run, "file", 6)
    print(f"other camera during the outage: {other:.2f} frames/s (configured 2)")
    assert 1.7 <= other <= 2.3  # the other camera is not held up
    reconnects = run.metric("faas_camera_reconnects_total", "live")
    assert reconnects >= 1
    rtsp(port=server.port)  # the same camera comes back
    up_after = wait_status(client, "live", "up", timeout=15)
    print(f"server back: up after {up_after:.2f}s (backoff cap 2 s)")
    assert up_after <= 2.0 + 3.0  # one backoff period, plus opening the stream (open_timeout)
    assert run.metric("faas_camera_reconnects_total", "live") >= reconnects
    assert run.metric("faas_camera_up", "live") == 1


def test_a_frozen_server_is_declared_stalled_within_freeze_after(
    rtsp: Callable[..., RtspServer], ingest: Callable[..., Ingest], client: redis.Redis
) -> None:
    server = rtsp()
    ingest([{"id": "cam", "url": server.url(), "fps": 2}], freeze_after="2s",
           read_timeout="20s", open_timeout="3s", reconnect_initial="0.5s", reconnect_max="2s")
    wait_status(client, "cam", "up", timeout=30)
    server.pause()
    elapsed = wait_status(client, "cam", "stalled", timeout=15)
    print(f"server frozen: stalled after {elapsed:.2f}s (freeze_after 2 s)")
    assert elapsed <= 2.0 + 1.5, f"stalled after {elapsed:.1f}s"  # not OpenCV's 30 s
    assert "no new frame" in client.hget(keys.camera_state("cam"), "last_error").decode()


def test_frames_stay_fresh_while_the_detector_is_away(
    rtsp: Callable[..., RtspServer], ingest: Callable[..., Ingest], client: redis.Redis
) -> None:
    """No detector for 30 s: the stream stays within its bound (fps x max_frame_age x 3/4 = 15),
    so the first frames a returning detector reads are younger than max_frame_age (4 s)."""
    server = rtsp()
    ingest([{"id": "cam", "url": server.url(), "fps": 5}], **FAST)
    wait_status(client, "cam", "up", timeout=30)
    stream, longest, deadline = keys.frames_stream("cam"), 0, time.monotonic() + 30
    while time.monotonic() < deadline:  # sampled throughout the 30 s without a detector
        longest = max(longest, client.xlen(stream))
        time.sleep(0.1)
    print(f"30 s without a detector: longest frame stream {longest} (bound 15)")
    assert 12 <= longest <= 15
    from common.messages import Frame
    from common.streams import ensure_group

    ensure_group(client, stream, keys.DETECTOR_GROUP)  # what a (re)starting detector does
    reply = client.xreadgroup(keys.DETECTOR_GROUP, "returning", {stream: ">"}, count=4)
    ages = [time.time() * 1000 - Frame.from_fields(f).ts_ms for _, f in reply[0][1]]
    print(f"first frames a returning detector reads are {[round(a) for a in ages]} ms old")
    assert len(ages) == 4 and max(ages) < 4000, ages


def test_live_hls_over_http_is_read(ingest: Callable[..., Ingest], client: redis.Redis,
                                    shared_data: Path, tmp_path: Path) -> None:
    """A live HLS playlist (sliding window, written in real time by ffmpeg) over real HTTP, as
    many cameras and NVRs offer."""
    import functools
    import threading
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    hls = tmp_path / "hls"
    hls.mkdir()
    producer = subprocess.Popen(
        ["ffmpeg", "-v", "error", "-re", "-stream_loop", "-1",
         "-i", str(shared_data / "videos" / "walkby.mp4"), "-c", "copy", "-f", "hls",
         "-hls_time", "1", "-hls_list_size", "6", "-hls_flags", "delete_segments+omit_endlist",
         str(hls / "cam.m3u8")])
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(hls))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        wait_for(lambda: (hls / "cam.m3u8").exists() and len(list(hls.glob("*.ts"))) >= 3,
                 timeout=30, message="a live playlist")
        run = ingest([{"id": "hls", "url": f"http://127.0.0.1:{server.server_port}/cam.m3u8",
                       "fps": 2}], **FAST)
        wait_status(client, "hls", "up", timeout=30)
        wait_for(lambda: run.published("hls") >= 10, timeout=30, message="HLS frames published")
        assert run.metric("faas_camera_reconnects_total", "hls") == 0
    finally:
        server.shutdown()
        producer.kill()
        producer.wait(10)


def test_bad_sources_get_a_clear_state_and_never_leak_the_password(
    rtsp: Callable[..., RtspServer], ingest: Callable[..., Ingest], client: redis.Redis,
    tmp_path: Path,
) -> None:
    secret = "Sup3r-Secret-pw"
    guarded = rtsp(user="viewer", password="the-right-one")
    closed_port = free_port()
    run = ingest([
        {"id": "wrongpw", "url": guarded.url(password=secret), "fps": 2},
        {"id": "nohost", "url": f"rtsp://viewer:{secret}@127.0.0.1:{closed_port}/cam", "fps": 2},
        {"id": "nofile", "url": str(tmp_path / "missing.mp4"), "fps": 2},
    ], **FAST)
    errors = {}
    for camera in ("wrongpw", "nohost", "nofile"):
        wait_for(lambda: client.hget(keys.camera_state(camera), "last_error"), timeout=30,
                 message=f"an error for {camera}")
        state = client.hgetall(keys.camera_state(camera))
        assert state[b"status"] in (b"down", b"connecting")
        errors[camera] = state[b"last_error"].decode()
    assert "reachable but did not serve the stream" in errors["wrongpw"]
    assert f"cannot reach 127.0.0.1:{closed_port}" in errors["nohost"]
    assert "file not found" in errors["nofile"]
    wait_for(lambda: run.metric("faas_camera_reconnects_total", "wrongpw") >= 2, timeout=30,
             message="retries")
    assert run.proc.poll() is None  # never crashes
    everything = [run.log.read_text(), str(scrape(run.metrics_port))]
    for key in client.scan_iter(match="*"):
        kind = client.type(key)
        everything.append(str(key))
        if kind == b"hash":
            everything.append(str(client.hgetall(key)))
        elif kind == b"stream":
            everything.append(str(client.xrange(key, count=5)))
        elif kind == b"string":
            everything.append(str(client.get(key)))
    assert "viewer:***@" in "".join(everything)  # the redacted form is what shows
    assert all(secret not in text for text in everything)
