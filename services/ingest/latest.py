"""The two small pieces that keep live video fresh: a one-frame slot the grabber overwrites,
and a watch that notices a camera that stopped delivering or keeps sending the same image."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from common.imaging import Image

THUMB_WH = (32, 24)


@dataclass(frozen=True)
class Grabbed:
    image: Image
    at: float  # time.monotonic() when decoded
    number: int  # increases with every frame grabbed


class LatestFrame:
    """Holds only the newest frame: older ones are overwritten, never queued (no stale buffer)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._frame: Grabbed | None = None
        self._count = 0

    def put(self, image: Image) -> None:
        with self._lock:
            self._count += 1
            self._frame = Grabbed(image, time.monotonic(), self._count)

    def newer_than(self, number: int) -> Grabbed | None:
        with self._lock:
            frame = self._frame
        return frame if frame is not None and frame.number > number else None

    def clear(self) -> None:
        with self._lock:
            self._frame = None


class FreezeWatch:
    """Stalled: no new frame for `after` seconds, or bit-identical images for that long.

    A real sensor never yields two identical frames; a frozen encoder or a camera showing its
    last picture does. Comparing a tiny grey thumbnail keeps this cheap.
    """

    def __init__(self, after: float) -> None:
        self.after = after
        self._thumb: np.ndarray | None = None
        self._same_since: float | None = None
        self._last_new = time.monotonic()

    def reset(self) -> None:
        self._thumb, self._same_since, self._last_new = None, None, time.monotonic()

    def saw(self, frame: Grabbed) -> None:
        thumb = cv2.resize(cv2.cvtColor(frame.image, cv2.COLOR_BGR2GRAY), THUMB_WH,
                           interpolation=cv2.INTER_AREA)
        if self._thumb is not None and np.array_equal(thumb, self._thumb):
            self._same_since = self._same_since or frame.at
        else:
            self._same_since = None
        self._thumb = thumb
        self._last_new = frame.at

    def stalled(self, now: float) -> str | None:
        """Why the camera counts as stalled, or None."""
        if now - self._last_new > self.after:
            return f"no new frame for {now - self._last_new:.1f}s"
        if self._same_since is not None and now - self._same_since > self.after:
            return f"same image for {now - self._same_since:.1f}s"
        return None
