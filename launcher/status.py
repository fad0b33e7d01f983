"""The launcher's compact live status: per stage, alive, rate and lag, read from Redis."""
from __future__ import annotations

import json
import time
from dataclasses import dataclass

import redis

from common import keys
from common.config import FaasConfig
from common.streams import group_lag
from launcher.supervisor import Supervisor

INPUTS = {
    "detector": lambda c: [(keys.frames_stream(cam.id), keys.DETECTOR_GROUP) for cam in c.enabled_cameras],
    "analyzer": lambda c: [(keys.FACES_STREAM, keys.ANALYZER_GROUP)],
    "aggregator": lambda c: [(keys.ATTRIBUTES_STREAM, keys.AGGREGATOR_GROUP)],
}


@dataclass
class StageStatus:
    stage: str
    running: int
    wanted: int
    processed: int
    rate: float
    lag: int | None


class StatusReader:
    def __init__(self, config: FaasConfig, client: redis.Redis) -> None:
        self.config = config
        self.client = client
        self._last: dict[str, tuple[float, int]] = {}

    def total_lag(self) -> int:
        return sum(self.lag(stage) or 0 for stage in INPUTS)

    def lag(self, stage: str) -> int | None:
        lags = [group_lag(self.client, s, g) for s, g in INPUTS[stage](self.config)]
        known = [lag for lag in lags if lag is not None]
        return sum(known) if known else None

    def processed(self, stage: str) -> int:
        total = 0
        for key in self.client.scan_iter(match=keys.liveness_pattern(stage), count=100):
            raw = self.client.get(key)
            if raw:
                total += int(json.loads(raw).get("processed", 0))
        return total

    def read(self, supervisor: Supervisor) -> list[StageStatus]:
        now = time.monotonic()
        rows = []
        for stage in ("ingest", "detector", "analyzer", "aggregator"):
            procs = [p for p in supervisor.processes if p.stage == stage]
            running = sum(1 for p in procs if p.pid is not None)
            processed = self.processed(stage) if stage != "ingest" else 0
            before = self._last.get(stage)
            rate = (processed - before[1]) / (now - before[0]) if before and now > before[0] else 0.0
            self._last[stage] = (now, processed)
            lag = self.lag(stage) if stage in INPUTS else None
            rows.append(StageStatus(stage, running, len(procs), processed, max(rate, 0.0), lag))
        return rows


def format_line(rows: list[StageStatus]) -> str:
    parts = []
    for r in rows:
        alive = f"{r.running}/{r.wanted}" if r.wanted > 1 else ("up" if r.running else "down")
        text = f"{r.stage}={alive}"
        if r.stage != "ingest":
            text += f" {r.rate:.1f}/s lag={'?' if r.lag is None else r.lag}"
        parts.append(text)
    return "status " + " | ".join(parts)
