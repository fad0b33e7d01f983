"""Ingest stage: a reader per enabled camera, publishing what they hand over; cameras can be
added, disabled or removed by a reload (SIGHUP) without touching the others."""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path

import redis

from common import keys
from common.config import CameraConfig, FaasConfig, load_config
from common.imaging import Image, encode_jpeg, limit_width
from common.messages import Frame
from common.metrics import FRAMES_DROPPED, FRAMES_PUBLISHED, REDIS_RECONNECTS
from common.worker import default_consumer_name
from common.yamlsource import ConfigError
from services.ingest.camera import CameraReader
from services.ingest.state import CameraState

log = logging.getLogger(__name__)
LIVENESS_TTL_MS = 10_000


class IngestService:
    def __init__(self, config: FaasConfig, client: redis.Redis, *, config_path: str | Path) -> None:
        self.config = config
        self.config_path = config_path
        self.client = client
        self.stop = threading.Event()
        self._reload = threading.Event()
        self._seq: dict[str, int] = {}
        self._readers: dict[str, CameraReader] = {}
        self.consumer = default_consumer_name("ingest")
        self._next_heartbeat = 0.0

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: object) -> None:
            log.info("signal %d: stopping cameras", signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def request_reload(self) -> None:
        self._reload.set()

    def publish(self, camera: CameraConfig, image: Image, ts_ms: int) -> None:
        settings = self.config.ingest
        image = limit_width(image, settings.max_width)
        seq = self._seq.get(camera.id, 0)
        self._seq[camera.id] = seq + 1
        frame = Frame(camera=camera.id, seq=seq, ts_ms=ts_ms, w=int(image.shape[1]),
                      h=int(image.shape[0]), jpeg=encode_jpeg(image, quality=settings.jpeg_quality))
        try:
            # Exact MAXLEN: the bound is what keeps a returning detector's first frames fresh.
            self.client.xadd(keys.frames_stream(camera.id), frame.to_fields(),
                             maxlen=self.config.frames_maxlen(camera), approximate=False)
        except redis.RedisError as exc:
            # Frames are worthless once stale: drop and count rather than queue while Redis is away.
            FRAMES_DROPPED.labels(camera.id, "redis").inc()
            REDIS_RECONNECTS.labels("ingest").inc()
            log.warning("camera=%s frame dropped, redis unavailable: %s", camera.id, exc)
            return
        FRAMES_PUBLISHED.labels(camera.id).inc()

    def _heartbeat(self) -> None:
        """The liveness key every stage keeps; `processed` counts frames published."""
        if time.monotonic() < self._next_heartbeat:
            return
        self._next_heartbeat = time.monotonic() + 1.0
        state = {"pid": os.getpid(), "host": socket.gethostname(), "ts": time.time(),
                 "processed": sum(self._seq.values()), "cameras": sorted(self._readers)}
        try:
            self.client.set(keys.liveness("ingest", self.consumer), json.dumps(state),
                            px=LIVENESS_TTL_MS)
        except redis.RedisError as exc:
            log.warning("liveness not written (%s)", exc)

    def _start(self, camera: CameraConfig) -> None:
        state = CameraState(self.client, camera.id, source=camera.safe_url, secrets=camera.secrets)
        reader = CameraReader(camera, self.config.ingest, publish=self.publish, state=state)
        reader.start()
        self._readers[camera.id] = reader

    def _stop(self, camera_id: str) -> None:
        reader = self._readers.pop(camera_id)
        reader.stop_event.set()
        reader.join(self.config.ingest.read_timeout + self.config.ingest.open_timeout)

    def _mark_disabled(self, config: FaasConfig) -> None:
        for camera in config.cameras:
            if not camera.enabled:
                self.client.hset(keys.camera_state(camera.id),
                                 mapping={"status": "disabled", "source": camera.safe_url})

    def reload(self) -> None:
        try:
            new = load_config(self.config_path)
        except ConfigError as exc:
            log.error("reload refused, keeping the running cameras:\n%s", exc)
            return
        wanted = {camera.id: camera for camera in new.enabled_cameras}
        for camera_id, reader in list(self._readers.items()):
            if wanted.get(camera_id) != reader.camera:
                log.info("camera=%s stopping (removed, disabled or changed)", camera_id)
                self._stop(camera_id)
        removed = {c.id for c in self.config.cameras} - {c.id for c in new.cameras}
        for camera_id in removed:
            self.client.delete(keys.camera_state(camera_id))
        self.config = new
        self._mark_disabled(new)
        for camera_id, camera in wanted.items():
            if camera_id not in self._readers:
                log.info("camera=%s starting source=%s", camera_id, camera.safe_url)
                self._start(camera)

    def run(self) -> None:
        self._mark_disabled(self.config)
        for camera in self.config.enabled_cameras:
            self._start(camera)
        log.info("ingest started cameras=%s", list(self._readers))
        had_cameras = bool(self._readers)
        # Idle without cameras (a reload may bring some); end when every camera ended (files).
        while not self.stop.is_set():
            self._heartbeat()
            if self._reload.is_set():
                self._reload.clear()
                self.reload()
                had_cameras = had_cameras or bool(self._readers)
            if had_cameras and not any(r.is_alive() for r in self._readers.values()):
                break
            self.stop.wait(0.2)
        for camera_id in list(self._readers):
            self._stop(camera_id)
        self.client.delete(keys.liveness("ingest", self.consumer))
        log.info("ingest stopped")
