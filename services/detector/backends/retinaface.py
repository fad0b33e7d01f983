"""Detector backend: the retina-face package called directly.

Called directly rather than through DeepFace's wrapper because only the package's own
`detect_faces` lets us turn upscaling off: upscaling made a 640x480 frame ~4.6x slower here
for the sake of faces too small to analyze anyway.
"""
from __future__ import annotations

import importlib
from typing import Any

from pydantic import Field

from common.config import FaasConfig, FaasModel
from common.imaging import Image
from services.detector.backends import DetectedFace

# engine -> (file, the retina-face module that downloads it)
_WEIGHTS = {
    "onnx": ("retinaface.onnx", "retinaface.model.retinaface_onnx_model"),
    "tensorflow": ("retinaface.h5", "retinaface.model.retinaface_model"),
    "pytorch": ("retinaface.pth", "retinaface.model.retinaface_pth_model"),
}


class Options(FaasModel):
    threshold: float = Field(default=0.9, gt=0, lt=1, description="RetinaFace score threshold")
    allow_upscaling: bool = Field(default=False, description="finds smaller faces, ~4.6x slower")


def weights(options: Options, config: FaasConfig) -> dict[str, list[str]]:
    file_name, module = _WEIGHTS[config.engine]
    return {file_name: list(importlib.import_module(module).WEIGHTS_URLS)}


class Backend:
    name = "retinaface"

    def __init__(self, options: Options, config: FaasConfig) -> None:
        from retinaface import RetinaFace

        self.options = options
        self._rf = RetinaFace
        self._model = RetinaFace.build_model()

    def detect(self, frames: list[Image]) -> list[list[DetectedFace]]:
        from services.detector.align import align_regions

        return [align_regions(frame, self._regions(frame), detector="retinaface") for frame in frames]

    def _regions(self, frame: Image) -> list[Any]:
        from deepface.models.Detector import FacialAreaRegion

        found = self._rf.detect_faces(frame, threshold=self.options.threshold, model=self._model,
                                      allow_upscaling=self.options.allow_upscaling)
        if not isinstance(found, dict):
            return []
        regions = []
        for face in found.values():
            x1, y1, x2, y2 = (int(v) for v in face["facial_area"])
            marks = {name: tuple(int(v) for v in point) for name, point in face["landmarks"].items()}
            regions.append(FacialAreaRegion(x=x1, y=y1, w=x2 - x1, h=y2 - y1,
                                            confidence=float(face["score"]), **marks))
        return regions
