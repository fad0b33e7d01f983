"""One camera's reader thread: open with timeouts, sample to fps, hand frames on, reconnect.

Files are played at their own frame rate times `speed` (so a recording behaves like the camera
it came from) and sampled by video time, which makes a file run deterministic. Live sources
are read as fast as they deliver, so OpenCV's buffer never holds stale frames, and sampled by
wall-clock time.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Callable

import cv2

from common.backoff import Backoff
from common.config import CameraConfig, IngestSettings
from common.imaging import Image
from common.metrics import CAMERA_RECONNECTS, CAMERA_UP, FRAMES_READ
from common.secrets import redact_text
from services.ingest.state import CameraState

log = logging.getLogger(__name__)

Publish = Callable[[CameraConfig, Image, int], None]  # camera, frame, capture ts_ms


class CameraReader(threading.Thread):
    def __init__(self, camera: CameraConfig, settings: IngestSettings, *, publish: Publish,
                 state: CameraState, stop: threading.Event) -> None:
        super().__init__(name=f"camera-{camera.id}", daemon=True)
        self.camera = camera
        self.settings = settings
        self.publish = publish
        self.state = state
        self.stop_event = stop

    def run(self) -> None:
        backoff = Backoff(base=1.0, cap=30.0)
        while not self.stop_event.is_set():
            self.state.update(status="connecting")
            capture = self._open()
            if capture is None:
                self._reconnect_after(backoff, "cannot open source")
                continue
            backoff.reset()
            try:
                ended_cleanly = self._pump(capture)
            finally:
                capture.release()
                CAMERA_UP.labels(self.camera.id).set(0)
            if self.stop_event.is_set():
                break
            if self.camera.is_file and ended_cleanly:
                if not self.camera.loop:
                    self.state.update(status="ended")
                    log.info("camera=%s file ended", self.camera.id)
                    return
                continue  # loop: reopen at once
            self._reconnect_after(backoff, "stream stopped delivering frames")

    def _reconnect_after(self, backoff: Backoff, error: str) -> None:
        delay = backoff.next_delay()
        CAMERA_RECONNECTS.labels(self.camera.id).inc()
        self.state.count_reconnect(error=error)
        log.warning("camera=%s source=%s %s; retry in %.1fs", self.camera.id, self.camera.safe_url,
                    error, delay)
        self.stop_event.wait(delay)

    def _open(self) -> cv2.VideoCapture | None:
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.settings.open_timeout * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.settings.read_timeout * 1000),
        ]
        try:
            capture = cv2.VideoCapture(self.camera.url, cv2.CAP_FFMPEG, params)
        except cv2.error as exc:
            self.state.update(last_error=redact_text(str(exc), [self.camera.url]))
            return None
        if not capture.isOpened():
            capture.release()
            return None
        return capture

    def _pump(self, capture: cv2.VideoCapture) -> bool:
        """Read until the source ends (True) or fails (False) or we are stopped."""
        native_fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        interval = 1.0 / self.camera.fps
        started = time.monotonic()
        next_sample = 0.0
        index = 0
        while not self.stop_event.is_set():
            ok, frame = capture.read()
            if not ok or frame is None:
                return self.camera.is_file
            FRAMES_READ.labels(self.camera.id).inc()
            if self.camera.is_file:
                clock = index / native_fps
                index += 1
                # Play in (scaled) real time: wait until this frame's moment comes.
                delay = started + clock / self.camera.speed - time.monotonic()
                if delay > 0 and self.stop_event.wait(delay):
                    return False
            else:
                clock = time.monotonic() - started
            if clock + 1e-9 < next_sample:
                continue
            next_sample = max(next_sample + interval, clock)
            ts_ms = int(time.time() * 1000)
            self.state.frame(ts_ms, width=frame.shape[1], height=frame.shape[0])
            CAMERA_UP.labels(self.camera.id).set(1)
            self.publish(self.camera, frame, ts_ms)
        return False
