"""Real servers for the tests: redis-server processes on free loopback ports."""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import redis

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
LEGACY_REDIS = ROOT / ".cache" / "redis-6.0.9" / "redis_server" / "bin" / "redis-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def missing(what: str) -> None:
    """A test prerequisite is absent: skip on a developer's machine, fail in CI."""
    import pytest

    message = f"{what} not found: run scripts/test, which installs it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


def wait_for(condition, *, timeout: float, interval: float = 0.05, message: str = "condition"):  # type: ignore[no-untyped-def]
    """Poll `condition` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = condition()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {message}")
        time.sleep(interval)


@dataclass
class RedisServer:
    name: str
    binary: str
    port: int
    proc: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self) -> redis.Redis:
        return redis.Redis.from_url(self.url)

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def start_redis(binary: str, workdir: Path, *, name: str, port: int | None = None) -> RedisServer:
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
         "--dir", str(workdir)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    server = RedisServer(name, binary, port, proc)

    def answers() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"{binary} exited with {proc.returncode}")
        try:
            return bool(server.client().ping())
        except redis.ConnectionError:
            return False

    wait_for(answers, timeout=10, message=f"{name} redis on port {port}")
    return server


def current_redis_binary() -> str | None:
    return shutil.which("redis-server")


def legacy_redis_binary() -> str | None:
    path = Path(os.environ.get("FAAS_LEGACY_REDIS_SERVER", LEGACY_REDIS))
    return str(path) if path.is_file() else None
