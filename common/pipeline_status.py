"""The pipeline's health as Redis knows it: each stage's live consumers (their liveness keys),
the lag of its consumer group, and the dead-letter count. Read by the launcher's status display
and by the aggregator's /api/status; written by nobody but the stages themselves."""
from __future__ import annotations

import json
import time
from typing import Any, Callable

import redis

from common import keys
from common.config import FaasConfig
from common.streams import group_lag, text

STAGES = ("ingest", "detector", "analyzer", "aggregator")
INPUTS: dict[str, Callable[[FaasConfig], list[tuple[str, str]]]] = {
    "detector": lambda c: [(keys.frames_stream(cam.id), keys.DETECTOR_GROUP) for cam in c.enabled_cameras],
    "analyzer": lambda c: [(keys.FACES_STREAM, keys.ANALYZER_GROUP)],
    "aggregator": lambda c: [(keys.ATTRIBUTES_STREAM, keys.AGGREGATOR_GROUP)],
}


def stage_lag(client: redis.Redis, config: FaasConfig, stage: str) -> int | None:
    """Entries the stage's group has not acked yet; None when it has no group yet."""
    if stage not in INPUTS:
        return None
    lags = [group_lag(client, stream, group) for stream, group in INPUTS[stage](config)]
    known = [lag for lag in lags if lag is not None]
    return sum(known) if known else None


def consumers(client: redis.Redis, stage: str) -> list[dict[str, Any]]:
    """The stage's processes that refreshed their liveness key within its TTL."""
    found = []
    for key in client.scan_iter(match=keys.liveness_pattern(stage), count=100):
        raw = client.get(key)
        if raw:
            state = json.loads(raw)
            state["name"] = text(key).rsplit(":", 1)[-1]
            found.append(state)
    return sorted(found, key=lambda s: s["name"])


def pipeline_status(client: redis.Redis, config: FaasConfig) -> dict[str, Any]:
    now = time.time()
    stages = {}
    for stage in STAGES:
        live = consumers(client, stage)
        stages[stage] = {
            "consumers": [{"name": c["name"], "host": c.get("host"), "pid": c.get("pid"),
                           "processed": c.get("processed", 0),
                           "heartbeat_age_s": round(now - c.get("ts", now), 1)} for c in live],
            "processed": sum(int(c.get("processed", 0)) for c in live),
            "lag": stage_lag(client, config, stage),
        }
    return {"stages": stages, "dead_letters": int(client.xlen(keys.DLQ_STREAM))}
