"""Opening a camera with OpenCV: timeouts always set, RTSP transport per camera, and a plain
diagnosis when opening fails (OpenCV only says no), never with credentials in it."""
from __future__ import annotations

import os
import socket
import threading
from pathlib import Path
from urllib.parse import urlsplit

import cv2

from common.config import CameraConfig, IngestSettings
from common.secrets import redact_text

# OpenCV's FFmpeg backend reads its options from this variable at each open, process-wide.
_CAPTURE_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_open_lock = threading.Lock()
DEFAULT_PORTS = {"rtsp": 554, "rtsps": 322, "http": 80, "https": 443}


class OpenFailed(Exception):
    """The source could not be opened; the message is safe to show."""


def open_capture(camera: CameraConfig, settings: IngestSettings) -> cv2.VideoCapture:
    params = [
        cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(settings.open_timeout * 1000),
        cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(settings.read_timeout * 1000),
    ]
    if camera.device is not None:
        capture = cv2.VideoCapture(camera.device, cv2.CAP_ANY, params)
    else:
        assert camera.url is not None
        if camera.is_file and not Path(camera.url).is_file():
            raise OpenFailed(f"file not found: {camera.url}")
        with _open_lock:
            os.environ[_CAPTURE_OPTIONS] = f"rtsp_transport;{camera.transport}"
            try:
                capture = cv2.VideoCapture(camera.url, cv2.CAP_FFMPEG, params)
            except cv2.error as exc:
                raise OpenFailed(redact_text(str(exc), camera.secrets)) from None
            finally:
                os.environ.pop(_CAPTURE_OPTIONS, None)
    if not capture.isOpened():
        capture.release()
        raise OpenFailed(diagnose(camera, settings.open_timeout))
    return capture


def diagnose(camera: CameraConfig, timeout: float) -> str:
    """Tell an unreachable host from a reachable one that refused the stream."""
    if camera.device is not None:
        return f"cannot open webcam device {camera.device}"
    if camera.is_file:
        return f"cannot decode file {camera.url}"
    parts = urlsplit(camera.url or "")
    host, port = parts.hostname or "", parts.port or DEFAULT_PORTS.get(parts.scheme, 0)
    try:
        with socket.create_connection((host, port), timeout=min(timeout, 3.0)):
            pass
    except OSError as exc:
        return f"cannot reach {host}:{port} ({exc.strerror or type(exc).__name__})"
    return (f"{host}:{port} is reachable but did not serve the stream: check the path and "
            f"the credentials ({camera.safe_url})")
