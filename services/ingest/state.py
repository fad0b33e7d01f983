"""A camera's state in `faas:camera:{id}`, for the API and the operator: written at most
once a second per camera, never with credentials."""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

import redis

from common import keys
from common.secrets import redact_text

log = logging.getLogger(__name__)
WRITE_INTERVAL_S = 1.0


class CameraState:
    def __init__(self, client: redis.Redis, camera_id: str, *, secrets: list[str]) -> None:
        self.client = client
        self.key = keys.camera_state(camera_id)
        self.secrets = secrets
        self._lock = threading.Lock()
        self._fields: dict[Any, Any] = {"status": "connecting", "reconnects": 0}
        self._frames: list[float] = []
        self._written = 0.0

    def update(self, **fields: str | int | float) -> None:
        with self._lock:
            for name, value in fields.items():
                self._fields[name] = redact_text(value, self.secrets) if isinstance(value, str) else value
        self._write(force=True)

    def count_reconnect(self, *, error: str) -> None:
        with self._lock:
            self._fields["reconnects"] = int(self._fields["reconnects"]) + 1
        self.update(status="down", last_error=error)

    def frame(self, ts_ms: int, *, width: int, height: int) -> None:
        now = time.monotonic()
        with self._lock:
            self._frames = [t for t in self._frames if now - t < 5.0] + [now]
            span = self._frames[-1] - self._frames[0]
            fps = (len(self._frames) - 1) / span if span > 0 else 0.0
            self._fields.update(status="up", last_frame_ms=ts_ms, fps=round(fps, 2),
                                resolution=f"{width}x{height}")
        self._write(force=False)

    def _write(self, *, force: bool) -> None:
        now = time.monotonic()
        if not force and now - self._written < WRITE_INTERVAL_S:
            return
        self._written = now
        with self._lock:
            fields: dict[Any, Any] = {**self._fields, "updated_ms": int(time.time() * 1000)}
        try:
            self.client.hset(self.key, mapping=fields)
        except redis.RedisError as exc:
            log.warning("camera state not written (%s)", exc)
