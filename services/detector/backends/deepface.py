"""Detector backend: any of DeepFace's face detectors (`opencv` needs no download)."""
from __future__ import annotations

from pydantic import Field

from common.config import FaasConfig, FaasModel
from common.imaging import Image
from services.detector.backends import DetectedFace



class Options(FaasModel):
    detector_backend: str = Field(default="opencv", description="DeepFace's detector_backend")
    min_score: float = Field(default=0.0, ge=0, le=1, description="drop faces scored below")


def weights(options: Options, config: FaasConfig) -> dict[str, list[str]]:
    """opencv's cascades ship with OpenCV; DeepFace's retinaface is the retinaface backend's.
    Other DeepFace detectors download their own weights on first use."""
    if options.detector_backend == "retinaface":
        from services.detector.backends import retinaface

        return retinaface.weights(retinaface.Options(), config)
    return {}


class Backend:
    def __init__(self, options: Options, config: FaasConfig) -> None:
        from deepface import DeepFace

        self.options = options
        self.name = f"deepface-{options.detector_backend}"
        DeepFace.build_model(task="face_detector", model_name=options.detector_backend)

    def detect(self, frames: list[Image]) -> list[list[DetectedFace]]:
        from deepface.modules.detection import detect_faces

        from services.detector.align import from_deepface

        results = []
        for frame in frames:
            found = detect_faces(self.options.detector_backend, frame, align=True)
            faces = [from_deepface(face) for face in found]
            results.append([f for f in faces if f.score >= self.options.min_score])
        return results
