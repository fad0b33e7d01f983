"""Detector stage logic: drop stale frames, detect across the batch, publish one entry per face."""
from __future__ import annotations

import time

from common import keys
from common.config import FaasConfig
from common.imaging import BadImage, decode_jpeg, encode_jpeg
from common.messages import Face, Frame
from common.metrics import FACES_DETECTED, FRAMES_DROPPED, INFERENCE_SECONDS, STAGE_LATENCY
from common.worker import Inbound, Outcome, Output, Reject
from services.detector.backends import DetectedFace, Detector

CROP_JPEG_QUALITY = 90


class DetectorService:
    def __init__(self, config: FaasConfig, backend: Detector) -> None:
        self.settings = config.detector
        self.backend = backend

    def handle(self, batch: list[Inbound[Frame]]) -> list[Outcome]:
        outcomes: list[Outcome | None] = [None] * len(batch)
        now_ms = int(time.time() * 1000)
        todo: list[int] = []
        images = []
        for i, inbound in enumerate(batch):
            frame = inbound.message
            if now_ms - frame.ts_ms > self.settings.max_frame_age * 1000:
                FRAMES_DROPPED.labels(frame.camera, "stale").inc()
                outcomes[i] = []
                continue
            try:
                images.append(decode_jpeg(frame.jpeg))
            except BadImage as exc:
                outcomes[i] = Reject("bad_frame", str(exc))
                continue
            todo.append(i)
        if todo:
            started = time.perf_counter()
            detections = self.backend.detect(images)
            INFERENCE_SECONDS.labels("detector", self.backend.name).observe(time.perf_counter() - started)
            for i, faces in zip(todo, detections):
                outcomes[i] = self._publish(batch[i], faces)
        return [outcome if outcome is not None else [] for outcome in outcomes]

    def _publish(self, inbound: Inbound[Frame], faces: list[DetectedFace]) -> list[Output]:
        frame = inbound.message
        kept = [f for f in faces if min(f.box_xywh[2], f.box_xywh[3]) >= self.settings.min_face_size
                and f.crop.size > 0]
        outputs = [
            Output(keys.FACES_STREAM, Face(
                face_id=f"{inbound.entry_id}/{index}", camera=frame.camera,
                frame_id=inbound.entry_id, seq=frame.seq, ts_ms=frame.ts_ms,
                box_xywh=[int(v) for v in face.box_xywh], score=float(face.score),
                landmarks={name: [float(x), float(y)] for name, (x, y) in face.landmarks.items()},
                jpeg=encode_jpeg(face.crop, quality=CROP_JPEG_QUALITY),
            ), self.settings.faces_maxlen)
            for index, face in enumerate(kept)
        ]
        FACES_DETECTED.labels(frame.camera).inc(len(outputs))
        STAGE_LATENCY.labels("detector").observe(max(0.0, time.time() - frame.ts_ms / 1000))
        return outputs
