"""JPEG in and out of numpy arrays: the only form pixels take between stages."""
from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray

Image = NDArray[Any]  # H x W x 3, BGR, uint8 (OpenCV's convention)


class BadImage(ValueError):
    """Bytes that do not decode to an image."""


def encode_jpeg(image: Image, *, quality: int = 85) -> bytes:
    ok, buffer = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadImage(f"cannot JPEG-encode an image of shape {image.shape}")
    return buffer.tobytes()


def decode_jpeg(data: bytes) -> Image:
    image = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise BadImage(f"{len(data)} bytes do not decode to an image")
    return image


def limit_width(image: Image, max_width: int | None) -> Image:
    """Downscale to `max_width` keeping the aspect ratio; never upscale."""
    if max_width is None or image.shape[1] <= max_width:
        return image
    scale = max_width / image.shape[1]
    size = (max_width, max(1, round(image.shape[0] * scale)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
