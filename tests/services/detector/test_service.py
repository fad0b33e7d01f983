"""Detector stage logic on real images with DeepFace's real `opencv` detector (no download)."""
from __future__ import annotations

import time
from pathlib import Path

import cv2
import pytest

from common.config import FaasConfig
from common.imaging import decode_jpeg, encode_jpeg
from common.messages import Face, Frame
from common.metrics import FRAMES_DROPPED
from common.worker import Inbound, Output, Reject
from services.detector.backends import REGISTRY
from services.detector.service import DetectorService

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def service() -> DetectorService:
    config = FaasConfig.model_validate(
        {"detector": {"backend": {"type": "deepface", "detector_backend": "opencv"},
                      "max_frame_age": "10s", "min_face_size": 20}})
    return DetectorService(config, REGISTRY.create(config.detector.backend, config))


def frame_of(path: Path, *, age_s: float = 0.0, jpeg: bytes | None = None) -> Inbound[Frame]:
    image = cv2.imread(str(path))
    data = jpeg if jpeg is not None else encode_jpeg(image)
    ts = int((time.time() - age_s) * 1000)
    frame = Frame(camera="cam", seq=7, ts_ms=ts, w=image.shape[1], h=image.shape[0], jpeg=data)
    return Inbound("faas:frames:cam", "1700000000000-3", frame, 1)


def test_faces_published_with_stable_ids_and_aligned_crops(service: DetectorService,
                                                           shared_data: Path) -> None:
    [outcome] = service.handle([frame_of(shared_data / "images" / "deepface_couple.jpg")])
    assert isinstance(outcome, list) and len(outcome) == 2
    faces = [out.message for out in outcome if isinstance(out, Output)]
    assert all(isinstance(face, Face) for face in faces)
    assert [f.face_id for f in faces] == ["1700000000000-3/0", "1700000000000-3/1"]
    for face in faces:
        x, y, w, h = face.box_xywh
        assert w >= 20 and h >= 20 and face.seq == 7 and face.frame_id == "1700000000000-3"
        crop = decode_jpeg(face.jpeg)
        assert abs(crop.shape[1] - w) <= 2 and abs(crop.shape[0] - h) <= 2
    # OpenCV's eye cascade misses some eyes; where it finds them, the crop was rotated by them.
    assert any({"left_eye", "right_eye"} <= set(face.landmarks) for face in faces)


def test_no_face_on_the_cat(service: DetectorService, shared_data: Path) -> None:
    assert service.handle([frame_of(shared_data / "images" / "skimage_chelsea_cat.jpg")]) == [[]]


def test_stale_frame_dropped_and_counted_corrupt_frame_rejected(service: DetectorService,
                                                                shared_data: Path) -> None:
    image = shared_data / "images" / "deepface_img1.jpg"
    before = FRAMES_DROPPED.labels("cam", "stale")._value.get()
    stale, corrupt, fresh = service.handle([
        frame_of(image, age_s=11), frame_of(image, jpeg=b"\xff\xd8 not a jpeg"), frame_of(image)])
    assert stale == [] and FRAMES_DROPPED.labels("cam", "stale")._value.get() == before + 1
    assert isinstance(corrupt, Reject) and corrupt.code == "bad_frame"
    assert isinstance(fresh, list) and len(fresh) == 1
