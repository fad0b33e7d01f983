"""A camera's state in `faas:camera:{id}`, for the API and the operator.

status: connecting, up, down, stalled, ended (a file that finished) or disabled; plus the last
frame's time, the measured fps, the resolution, the reconnect count and the last error. Written
at once on a status change and at most once a second otherwise; never with credentials.
"""
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
FPS_WINDOW_S = 5.0


class CameraState:
    def __init__(self, client: redis.Redis, camera_id: str, *, source: str,
                 secrets: list[str]) -> None:
        self.client = client
        self.key = keys.camera_state(camera_id)
        self.secrets = secrets
        self._lock = threading.Lock()
        self._fields: dict[str, Any] = {"status": "connecting", "reconnects": 0,
                                        "source": source, "last_error": ""}
        self._frames: list[float] = []
        self._written = 0.0
        self.frames_this_session = 0

    def update(self, **fields: str | int | float) -> None:
        with self._lock:
            for name, value in fields.items():
                safe = redact_text(value, self.secrets) if isinstance(value, str) else value
                self._fields[name] = safe
        self._write(force=True)

    def new_session(self) -> None:
        """A (re)opened source: `connected_ms` tells a reconnect from a long-lived reader."""
        self.frames_this_session = 0
        with self._lock:
            self._fields["connected_ms"] = int(time.time() * 1000)

    def reconnecting(self, *, status: str, error: str) -> None:
        with self._lock:
            self._fields["reconnects"] = int(self._fields["reconnects"]) + 1
        self.update(status=status, last_error=error)

    def frame(self, ts_ms: int, *, width: int, height: int) -> None:
        now = time.monotonic()
        self.frames_this_session += 1
        with self._lock:
            was_up = self._fields["status"] == "up"
            self._frames = [t for t in self._frames if now - t < FPS_WINDOW_S] + [now]
            span = self._frames[-1] - self._frames[0]
            fps = (len(self._frames) - 1) / span if span > 0 else 0.0
            self._fields.update(status="up", last_frame_ms=ts_ms, fps=round(fps, 2),
                                resolution=f"{width}x{height}")
        self._write(force=not was_up)

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
