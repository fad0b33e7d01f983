"""Real camera sources for tests: GStreamer RTSP servers on loopback ports (fixtures)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

import pytest

from tests.servers import ROOT, free_port, missing, wait_for

SYSTEM_PYTHON = "/usr/bin/python3"


@pytest.fixture(scope="session")
def long_video(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """walkby.mp4 ten times over, stream-copied (no re-encode), so a stream never ends."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        missing("ffmpeg")
    out = tmp_path_factory.mktemp("video") / "walkby-x10.mp4"
    subprocess.run([str(ffmpeg), "-v", "error", "-y", "-stream_loop", "9", "-i",
                    str(shared_data / "videos" / "walkby.mp4"), "-c", "copy", str(out)],
                   check=True, timeout=120)
    return out


@dataclass
class RtspServer:
    video: Path
    port: int = field(default_factory=free_port)
    user: str | None = None
    password: str | None = None
    proc: subprocess.Popen[bytes] | None = None

    def url(self, *, user: str | None = None, password: str | None = None) -> str:
        user, password = user or self.user, password or self.password
        auth = f"{user}:{password}@" if user else ""
        return f"rtsp://{auth}127.0.0.1:{self.port}/cam"

    def start(self) -> RtspServer:
        args = [SYSTEM_PYTHON, str(ROOT / "tests" / "rtsp_server.py"), "--port", str(self.port),
                "--file", str(self.video)]
        if self.user:
            args += ["--user", self.user, "--password", str(self.password)]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().decode()
        assert line.strip() == "ready", f"rtsp server did not start: {line}"
        return self

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait(10)

    def pause(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)


@pytest.fixture
def rtsp(long_video: Path) -> Iterator[Callable[..., RtspServer]]:
    """Factory: rtsp(user=..., password=...) starts a server; all are killed afterwards."""
    if not os.path.exists(SYSTEM_PYTHON) or subprocess.run(
        [SYSTEM_PYTHON, "-c", "import gi; gi.require_version('GstRtspServer', '1.0')"],
        capture_output=True,
    ).returncode != 0:
        missing("GStreamer's RTSP server for the system python3 (python3-gi, gir1.2-gst-rtsp-server-1.0)")
    started: list[RtspServer] = []

    def make(**kwargs: str) -> RtspServer:
        server = RtspServer(long_video, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.kill()


def wait_status(client, camera: str, status: str, *, timeout: float) -> float:  # type: ignore[no-untyped-def]
    """Seconds until faas:camera:{camera} shows `status`."""
    import time

    started = time.monotonic()
    wait_for(lambda: client.hget(f"faas:camera:{camera}", "status") == status.encode(),
             timeout=timeout, interval=0.05, message=f"camera {camera} {status}")
    return time.monotonic() - started
