"""One camera's reader: open with timeouts, deliver fresh frames at the camera's fps, reconnect.

Live sources (RTSP, HTTP, webcams) get a grabber thread that reads as fast as the camera sends
and keeps only the newest frame, so OpenCV's buffer never turns into minutes of lag; this
thread samples that frame at `fps` and watches for a camera that stops or freezes. Files are
played at their own frame rate times `speed` and sampled by video time, so a file run is
deterministic.
"""
from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

import cv2

from common.backoff import Backoff
from common.config import CameraConfig, IngestSettings
from common.imaging import Image
from common.metrics import CAMERA_RECONNECTS, CAMERA_UP, FRAMES_DROPPED, FRAMES_READ
from services.ingest.latest import FreezeWatch, Grabbed, LatestFrame
from services.ingest.sources import OpenFailed, open_capture
from services.ingest.state import CameraState

log = logging.getLogger(__name__)

Publish = Callable[[CameraConfig, Image, int], None]  # camera, frame, capture ts_ms


@dataclass(frozen=True)
class Interruption:
    status: str  # "down" or "stalled"; "ended" for a file that reached its end
    reason: str


ENDED = Interruption("ended", "end of file")
STOPPED = Interruption("stopped", "stopped")


class CameraReader(threading.Thread):
    def __init__(self, camera: CameraConfig, settings: IngestSettings, *, publish: Publish,
                 state: CameraState) -> None:
        super().__init__(name=f"camera-{camera.id}", daemon=True)
        self.camera = camera
        self.settings = settings
        self.publish = publish
        self.state = state
        self.stop_event = threading.Event()

    def run(self) -> None:
        backoff = Backoff(base=self.settings.reconnect_initial, cap=self.settings.reconnect_max)
        attempts = 0
        while not self.stop_event.is_set():
            self.state.update(status="connecting")
            try:
                capture = open_capture(self.camera, self.settings)
            except OpenFailed as exc:
                outcome = Interruption("down", str(exc))
            else:
                log.info("camera=%s source=%s opened", self.camera.id, self.camera.safe_url)
                try:
                    outcome = self._pump(capture)
                finally:
                    CAMERA_UP.labels(self.camera.id).set(0)
                if outcome.status != "stopped" and self.state.frames_this_session:
                    backoff.reset()
                    attempts = 0
            if outcome is STOPPED or self.stop_event.is_set():
                return
            if outcome is ENDED:
                if not self.camera.loop:
                    self.state.update(status="ended")
                    log.info("camera=%s file ended", self.camera.id)
                    return
                continue  # loop: reopen at once
            attempts += 1
            if self.settings.max_reconnects and attempts > self.settings.max_reconnects:
                self.state.update(status="down", last_error=f"gave up after {attempts - 1} "
                                  f"reconnects; last error: {outcome.reason}")
                return
            self._retry_after(backoff, outcome)

    def _retry_after(self, backoff: Backoff, outcome: Interruption) -> None:
        delay = backoff.next_delay()
        CAMERA_RECONNECTS.labels(self.camera.id).inc()
        self.state.reconnecting(status=outcome.status, error=outcome.reason)
        log.warning("camera=%s source=%s %s: %s; retry in %.1fs", self.camera.id,
                    self.camera.safe_url, outcome.status, outcome.reason, delay)
        self.stop_event.wait(delay)

    def _pump(self, capture: cv2.VideoCapture) -> Interruption:
        self.state.new_session()
        try:
            return self._pump_file(capture) if self.camera.is_file else self._pump_live(capture)
        finally:
            capture.release()

    def _emit(self, frame: Image, captured_at: float) -> None:
        ts_ms = int((time.time() - (time.monotonic() - captured_at)) * 1000)
        self.state.frame(ts_ms, width=frame.shape[1], height=frame.shape[0])
        CAMERA_UP.labels(self.camera.id).set(1)
        self.publish(self.camera, frame, ts_ms)

    # -- files ---------------------------------------------------------------------------

    def _pump_file(self, capture: cv2.VideoCapture) -> Interruption:
        native_fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
        interval = 1.0 / self.camera.fps
        started = time.monotonic()
        next_sample, index = 0.0, 0
        while not self.stop_event.is_set():
            ok, frame = capture.read()
            if not ok or frame is None:
                return ENDED
            FRAMES_READ.labels(self.camera.id).inc()
            clock = index / native_fps
            index += 1
            # Play in (scaled) real time, like the camera the recording came from.
            delay = started + clock / self.camera.speed - time.monotonic()
            if delay > 0 and self.stop_event.wait(delay):
                break
            if clock + 1e-9 < next_sample:
                FRAMES_DROPPED.labels(self.camera.id, "sampling").inc()
                continue
            next_sample = max(next_sample + interval, clock)
            self._emit(frame, time.monotonic())
        return STOPPED

    # -- live sources --------------------------------------------------------------------

    def _pump_live(self, capture: cv2.VideoCapture) -> Interruption:
        latest, done, failure = LatestFrame(), threading.Event(), []

        def grab() -> None:
            while not done.is_set():
                ok, frame = capture.read()
                if not ok or frame is None:
                    failure.append(f"no frame within the {self.settings.read_timeout:g}s read "
                                   "timeout, or the stream closed")
                    return
                FRAMES_READ.labels(self.camera.id).inc()
                latest.put(frame)

        grabber = threading.Thread(target=grab, name=f"grab-{self.camera.id}", daemon=True)
        grabber.start()
        try:
            return self._sample(latest, failure)
        finally:
            done.set()
            # read() returns within the read timeout; release() must not race with it.
            grabber.join(self.settings.read_timeout + self.settings.open_timeout)

    def _sample(self, latest: LatestFrame, failure: list[str]) -> Interruption:
        interval = 1.0 / self.camera.fps
        watch = FreezeWatch(self.settings.freeze_after)
        next_at, last = time.monotonic(), 0
        while not self.stop_event.wait(max(0.0, next_at - time.monotonic())):
            now = time.monotonic()
            next_at = max(next_at + interval, now)
            if failure:
                return Interruption("down", failure[0])
            frame: Grabbed | None = latest.newer_than(last)
            if frame is not None:
                if last and frame.number > last + 1:
                    FRAMES_DROPPED.labels(self.camera.id, "sampling").inc(frame.number - last - 1)
                last = frame.number
                watch.saw(frame)
                self._emit(frame.image, frame.at)
            why = watch.stalled(now)
            if why is not None:
                # Say so now: the grabber may sit in read() until the read timeout.
                self.state.update(status="stalled", last_error=why)
                CAMERA_UP.labels(self.camera.id).set(0)
                return Interruption("stalled", why)
        return STOPPED
