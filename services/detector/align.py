"""Eye alignment of detected faces, done by deepface's own code for every detector backend.

deepface pads the frame by half its size before aligning so a face near the border does not
rotate out of the picture; `align_regions` does the same for detectors deepface does not drive.
"""
from __future__ import annotations

from typing import Any, Sequence

import cv2

from common.imaging import Image
from services.detector.backends import DetectedFace

LANDMARKS = ("left_eye", "right_eye", "nose", "mouth_left", "mouth_right")


def from_deepface(face: Any) -> DetectedFace:
    """deepface's DetectedFace (aligned crop + FacialAreaRegion in frame pixels) to ours."""
    area = face.facial_area
    landmarks = {
        name: (float(getattr(area, name)[0]), float(getattr(area, name)[1]))
        for name in LANDMARKS
        if getattr(area, name, None) is not None
    }
    return DetectedFace(
        box_xywh=(int(area.x), int(area.y), int(area.w), int(area.h)),
        score=float(face.confidence or 0.0),
        landmarks=landmarks,
        crop=face.img,
    )


def align_regions(frame: Image, regions: Sequence[Any], *, detector: str) -> list[DetectedFace]:
    """Align deepface FacialAreaRegions found on `frame` (unpadded coordinates)."""
    from deepface.models.Detector import FacialAreaRegion
    from deepface.modules.detection import extract_face

    height_border, width_border = int(0.5 * frame.shape[0]), int(0.5 * frame.shape[1])
    padded = cv2.copyMakeBorder(frame, height_border, height_border, width_border, width_border,
                                cv2.BORDER_CONSTANT, value=[0, 0, 0])

    def shift(point: Any) -> Any:
        return None if point is None else (int(point[0]) + width_border, int(point[1]) + height_border)

    faces = []
    for region in regions:
        shifted = FacialAreaRegion(
            x=int(region.x) + width_border, y=int(region.y) + height_border,
            w=int(region.w), h=int(region.h), confidence=region.confidence,
            **{name: shift(getattr(region, name, None)) for name in LANDMARKS},
        )
        face = extract_face(facial_area=shifted, img=padded, align=True, expand_percentage=0,
                            width_border=width_border, height_border=height_border,
                            detector_backend=detector)
        faces.append(from_deepface(face))
    return faces
