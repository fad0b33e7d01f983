"""Ingest stage: start a reader per enabled camera and publish what they hand over."""
from __future__ import annotations

import logging
import signal
import threading
import time

import redis

from common import keys
from common.config import CameraConfig, FaasConfig
from common.imaging import Image, encode_jpeg, limit_width
from common.messages import Frame
from common.metrics import FRAMES_DROPPED, FRAMES_PUBLISHED, REDIS_RECONNECTS
from services.ingest.camera import CameraReader
from services.ingest.state import CameraState

log = logging.getLogger(__name__)


class IngestService:
    def __init__(self, config: FaasConfig, client: redis.Redis) -> None:
        self.config = config
        self.settings = config.ingest
        self.client = client
        self.stop = threading.Event()
        self._seq: dict[str, int] = {}
        self._readers: list[CameraReader] = []

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: object) -> None:
            log.info("signal %d: stopping cameras", signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def publish(self, camera: CameraConfig, image: Image, ts_ms: int) -> None:
        image = limit_width(image, self.settings.max_width)
        seq = self._seq.get(camera.id, 0)
        self._seq[camera.id] = seq + 1
        frame = Frame(camera=camera.id, seq=seq, ts_ms=ts_ms, w=int(image.shape[1]),
                      h=int(image.shape[0]), jpeg=encode_jpeg(image, quality=self.settings.jpeg_quality))
        try:
            self.client.xadd(keys.frames_stream(camera.id), frame.to_fields(),
                             maxlen=self.settings.frames_maxlen, approximate=True)
        except redis.RedisError as exc:
            # Frames are worthless once stale: drop and count rather than queue while Redis is away.
            FRAMES_DROPPED.labels(camera.id, "redis").inc()
            REDIS_RECONNECTS.labels("ingest").inc()
            log.warning("camera=%s frame dropped, redis unavailable: %s", camera.id, exc)
            return
        FRAMES_PUBLISHED.labels(camera.id).inc()

    def run(self) -> None:
        for camera in self.config.enabled_cameras:
            state = CameraState(self.client, camera.id, secrets=[camera.url])
            reader = CameraReader(camera, self.settings, publish=self.publish, state=state,
                                  stop=self.stop)
            reader.start()
            self._readers.append(reader)
        log.info("ingest started cameras=%s", [c.id for c in self.config.enabled_cameras])
        # With no camera the stage idles (cameras may come with a reload); with cameras it ends
        # when all of them have (files that ended).
        while not self.stop.is_set() and (not self._readers or any(r.is_alive() for r in self._readers)):
            self.stop.wait(0.5)
        self.stop.set()
        for reader in self._readers:
            reader.join(timeout=self.settings.read_timeout + 2)
        log.info("ingest stopped")
