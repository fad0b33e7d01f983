"""JPEG round trips and the max-width resize."""
from __future__ import annotations

import numpy as np
import pytest

from common.imaging import BadImage, decode_jpeg, encode_jpeg, limit_width


@pytest.mark.parametrize("shape, max_width, expected", [
    ((480, 640, 3), 320, (240, 320, 3)),
    ((480, 640, 3), 640, (480, 640, 3)),
    ((480, 640, 3), 1280, (480, 640, 3)),  # never upscaled
    ((480, 640, 3), None, (480, 640, 3)),
])
def test_limit_width(shape: tuple[int, int, int], max_width: int | None,
                     expected: tuple[int, int, int]) -> None:
    assert limit_width(np.zeros(shape, np.uint8), max_width).shape == expected


def test_jpeg_round_trip_and_garbage() -> None:
    image = np.full((20, 30, 3), 128, np.uint8)
    assert decode_jpeg(encode_jpeg(image, quality=90)).shape == (20, 30, 3)
    with pytest.raises(BadImage):
        decode_jpeg(b"not a jpeg")
