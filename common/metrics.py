"""FAAS's Prometheus metrics (DESIGN.md names), defined once and incremented where events happen.

Labels never carry URLs, passwords or face data; the camera id is the only per-camera label.
"""
from __future__ import annotations

import logging

from prometheus_client import Counter, Gauge, Histogram, start_http_server

log = logging.getLogger(__name__)

FRAMES_READ = Counter("faas_frames_read_total", "Frames decoded from a camera", ["camera"])
FRAMES_PUBLISHED = Counter(
    "faas_frames_published_total", "Frames published to the frame stream", ["camera"]
)
FRAMES_DROPPED = Counter(
    "faas_frames_dropped_total", "Frames dropped before detection", ["camera", "reason"]
)
CAMERA_UP = Gauge("faas_camera_up", "1 while the camera delivers frames", ["camera"])
CAMERA_RECONNECTS = Counter("faas_camera_reconnects_total", "Camera reconnect attempts", ["camera"])
FACES_DETECTED = Counter("faas_faces_detected_total", "Faces published by detectors", ["camera"])
FACES_ANALYZED = Counter("faas_faces_analyzed_total", "Faces analyzed", ["camera"])
MESSAGES_PROCESSED = Counter(
    "faas_messages_processed_total", "Stream entries handled and acked", ["stage"]
)
DEAD_LETTERS = Counter(
    "faas_dead_letters_total", "Entries sent to faas:dlq", ["stage", "reason"]
)
REDIS_RECONNECTS = Counter(
    "faas_redis_reconnects_total", "Redis connection failures retried with backoff", ["stage"]
)
BATCH_SIZE = Histogram(
    "faas_batch_size", "Entries per processed batch", ["stage"],
    buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256),
)
INFERENCE_SECONDS = Histogram(
    "faas_inference_seconds", "Model time per batch", ["stage", "backend"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
STAGE_LATENCY = Histogram(
    "faas_stage_latency_seconds", "Capture to this stage's output", ["stage"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60),
)
STREAM_LENGTH = Gauge("faas_stream_length", "XLEN of a stream", ["stream"])
GROUP_LAG = Gauge(
    "faas_group_lag", "Entries a consumer group has not yet acked", ["stream", "group"]
)


def serve(host: str, port: int) -> int:
    """Expose this process's metrics over HTTP; port 0 picks a free one. Returns the port."""
    server, _thread = start_http_server(port, addr=host)
    bound = int(server.server_port)
    log.info("metrics listening host=%s port=%d", host, bound)
    return bound
