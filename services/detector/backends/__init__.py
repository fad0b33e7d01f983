"""The detector backend interface, and the registry `detector.backend.type` is resolved from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from common.backends import BackendRegistry
from common.imaging import Image

REGISTRY = BackendRegistry("detector", {
    "retinaface": "services.detector.backends.retinaface",
    "deepface": "services.detector.backends.deepface",
})


@dataclass(frozen=True)
class DetectedFace:
    box_xywh: tuple[int, int, int, int]  # in frame pixels
    score: float
    landmarks: dict[str, tuple[float, float]]  # e.g. left_eye, right_eye: (x, y) in the frame
    crop: Image  # the face aligned by its eyes, BGR


class Detector(Protocol):
    name: str

    def detect(self, frames: list[Image]) -> list[list[DetectedFace]]:
        """One list of faces per frame, in the order given."""
        ...
