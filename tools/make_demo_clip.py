"""Make demo/demo.mp4, the clip a new user's first `python FAAS.py` plays before any camera is
configured: public-domain and CC0 pictures that ship inside scikit-image, walking across a room
drawn by code. Deterministic; the result is committed (about 1 MB).

    python3 -m venv .cache/demo && .cache/demo/bin/pip install scikit-image opencv-python-headless
    .cache/demo/bin/python tools/make_demo_clip.py

Sources: skimage.data.astronaut() (Eileen Collins, NASA, public domain) and
skimage.data.chelsea() (a cat, CC0), per scikit-image's data docstrings.
"""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
from skimage import data

OUT = Path(__file__).resolve().parent.parent / "demo" / "demo.mp4"
W, H, FPS, SECONDS = 640, 480, 10, 24


def room() -> np.ndarray:
    y = np.linspace(0, 1, H)[:, None]
    wall = (np.array([205, 215, 222]) * (1 - 0.25 * y)[..., None]).repeat(W, axis=1)
    image = wall.astype(np.uint8)
    image[330:] = (120, 135, 150)  # floor
    cv2.rectangle(image, (60, 80), (200, 250), (235, 225, 200), -1)  # window
    cv2.rectangle(image, (470, 120), (560, 330), (90, 110, 140), -1)  # door
    return cv2.GaussianBlur(image, (7, 7), 0)


def sprite(rgb: np.ndarray, box: tuple[int, int, int, int], width: int) -> np.ndarray:
    x, y, w, h = box
    crop = cv2.cvtColor(rgb[y:y + h, x:x + w], cv2.COLOR_RGB2BGR)
    return cv2.resize(crop, (width, round(h * width / w)), interpolation=cv2.INTER_AREA)


def paste(frame: np.ndarray, image: np.ndarray, left: int, top: int) -> None:
    h, w = image.shape[:2]
    x0, x1 = max(0, left), min(W, left + w)
    y0, y1 = max(0, top), min(H, top + h)
    if x0 < x1 and y0 < y1:
        frame[y0:y1, x0:x1] = image[y0 - top:y1 - top, x0 - left:x1 - left]


def main() -> None:
    background = room()
    astronaut = sprite(data.astronaut(), (110, 0, 300, 330), 240)  # head and shoulders
    cat = sprite(data.chelsea(), (0, 0, 451, 300), 200)
    walks = [  # sprite, start s, end s, from x, to x, top
        (astronaut, 1.0, 9.0, -240, W, 120),
        (cat, 8.0, 14.0, W, -200, 250),
        (astronaut, 14.0, 22.0, W, -240, 100),
    ]
    OUT.parent.mkdir(parents=True, exist_ok=True)
    writer = cv2.VideoWriter(str(OUT), cv2.VideoWriter.fourcc(*"mp4v"), FPS, (W, H))
    for index in range(FPS * SECONDS):
        t = index / FPS
        frame = background.copy()
        for image, start, end, x0, x1, top in walks:
            if start <= t < end:
                progress = (t - start) / (end - start)
                paste(frame, image, round(x0 + (x1 - x0) * progress), top + round(3 * np.sin(t * 6)))
        writer.write(frame)
    writer.release()
    print(f"wrote {OUT} ({OUT.stat().st_size} bytes, {SECONDS} s at {FPS} fps)")


if __name__ == "__main__":
    main()
