"""Analyzer stage logic: decode crops, run the backend per action set, publish attributes."""
from __future__ import annotations

import dataclasses
import time
from collections import defaultdict

from common import keys
from common.config import ACTIONS, FaasConfig
from common.imaging import BadImage, Image, decode_jpeg
from common.messages import Attributes, Face
from common.metrics import FACES_ANALYZED, INFERENCE_SECONDS, STAGE_LATENCY
from common.stage import StartupError
from common.worker import Inbound, Outcome, Output, Reject
from services.analyzer.backends import Analyzer


def check_actions(config: FaasConfig, backend: Analyzer) -> None:
    """Refuse at start a camera asking for what the backend cannot produce."""
    for camera in config.enabled_cameras:
        missing = [a for a in camera.actions or () if a not in backend.produces]
        if missing:
            raise StartupError(
                f"camera {camera.id!r} asks for {', '.join(missing)}, which the "
                f"{backend.name!r} analyzer cannot produce (it does {', '.join(sorted(backend.produces))}); "
                f"remove them from the camera's actions or choose another analyzer backend"
            )


class AnalyzerService:
    def __init__(self, config: FaasConfig, backend: Analyzer) -> None:
        self.backend = backend
        self.settings = config.analyzer
        self._default_actions = tuple(a for a in ACTIONS if a in backend.produces)
        self.use_cameras(config)

    def use_cameras(self, config: FaasConfig) -> None:
        """Take the cameras' actions from `config` (at start, and on reload)."""
        check_actions(config, self.backend)
        self.config = config

    def _actions(self, camera_id: str) -> tuple[str, ...]:
        camera = self.config.camera(camera_id)
        return camera.actions if camera is not None and camera.actions else self._default_actions

    def handle(self, batch: list[Inbound[Face]]) -> list[Outcome]:
        outcomes: list[Outcome] = [[] for _ in batch]
        groups: dict[tuple[str, ...], list[tuple[int, Image]]] = defaultdict(list)
        for i, inbound in enumerate(batch):
            try:
                crop = decode_jpeg(inbound.message.jpeg)
            except BadImage as exc:
                outcomes[i] = Reject("bad_crop", str(exc))
                continue
            groups[self._actions(inbound.message.camera)].append((i, crop))
        for actions, items in groups.items():
            started = time.perf_counter()
            results = self.backend.analyze([crop for _, crop in items], actions)
            INFERENCE_SECONDS.labels("analyzer", self.backend.name).observe(time.perf_counter() - started)
            for (i, _), result in zip(items, results):
                face = batch[i].message
                attributes = Attributes(face_id=face.face_id, camera=face.camera, ts_ms=face.ts_ms,
                                        backend=self.backend.name, track_id=face.track_id,
                                        **dataclasses.asdict(result))
                outcomes[i] = [Output(keys.ATTRIBUTES_STREAM, attributes, self.settings.attributes_maxlen)]
                FACES_ANALYZED.labels(face.camera).inc()
                STAGE_LATENCY.labels("analyzer").observe(max(0.0, time.time() - face.ts_ms / 1000))
        return outcomes
