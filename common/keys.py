"""Every Redis stream, group and key name FAAS uses, built here and nowhere else."""
from __future__ import annotations

PREFIX = "faas"

FACES_STREAM = f"{PREFIX}:faces"
ATTRIBUTES_STREAM = f"{PREFIX}:attributes"
DLQ_STREAM = f"{PREFIX}:dlq"

DETECTOR_GROUP = "detector"
ANALYZER_GROUP = "analyzer"
AGGREGATOR_GROUP = "aggregator"

AGG_CAMERAS = f"{PREFIX}:agg:cameras"


def frames_stream(camera: str) -> str:
    return f"{PREFIX}:frames:{camera}"


def camera_state(camera: str) -> str:
    return f"{PREFIX}:camera:{camera}"


def liveness(stage: str, consumer: str) -> str:
    return f"{PREFIX}:alive:{stage}:{consumer}"


def liveness_pattern(stage: str = "*") -> str:
    return f"{PREFIX}:alive:{stage}:*"


def agg_faces(camera: str) -> str:
    return f"{PREFIX}:agg:{camera}:faces"


def agg_value(camera: str, attribute: str, value: str) -> str:
    return f"{PREFIX}:agg:{camera}:{attribute}:{value}"


def agg_values_index(camera: str, attribute: str) -> str:
    """Set of the values seen for one attribute, so queries need no KEYS/SCAN."""
    return f"{PREFIX}:agg:{camera}:values:{attribute}"
