"""The launcher's live status: per stage, processes up, entries per second and lag.

A compact table redrawn in place (rich) when the launcher runs in a terminal, one log line per
interval otherwise (a service manager's journal, a file).
"""
from __future__ import annotations

import time
from dataclasses import dataclass

import redis
from rich.table import Table

from common.config import FaasConfig
from common.pipeline_status import STAGES, consumers, stage_lag
from launcher.supervisor import Supervisor


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
        return sum(stage_lag(self.client, self.config, stage) or 0 for stage in STAGES)

    def read(self, supervisor: Supervisor) -> list[StageStatus]:
        now = time.monotonic()
        rows = []
        for stage in STAGES:
            procs = [p for p in supervisor.processes if p.stage == stage]
            running = sum(1 for p in procs if p.pid is not None)
            processed = sum(int(c.get("processed", 0)) for c in consumers(self.client, stage))
            before = self._last.get(stage)
            rate = (processed - before[1]) / (now - before[0]) if before and now > before[0] else 0.0
            self._last[stage] = (now, processed)
            rows.append(StageStatus(stage, running, len(procs), processed, max(rate, 0.0),
                                    stage_lag(self.client, self.config, stage)))
        return rows


def _alive(row: StageStatus) -> str:
    return f"{row.running}/{row.wanted}" if row.wanted > 1 else ("up" if row.running else "down")


def format_line(rows: list[StageStatus]) -> str:
    parts = []
    for r in rows:
        text = f"{r.stage}={_alive(r)}"
        if r.stage != "ingest":
            text += f" {r.rate:.1f}/s lag={'?' if r.lag is None else r.lag}"
        parts.append(text)
    return "status " + " | ".join(parts)


def format_table(rows: list[StageStatus], *, caption: str = "") -> Table:
    table = Table(title="FAAS", caption=caption, expand=False)
    for column in ("stage", "processes", "per second", "processed", "lag"):
        table.add_column(column, justify="left" if column == "stage" else "right")
    for r in rows:
        style = "red" if r.running < r.wanted else ""
        per_second = f"{r.rate:.1f}" + (" frames" if r.stage == "ingest" else "")
        table.add_row(r.stage, _alive(r), per_second, str(r.processed),
                      "-" if r.lag is None else str(r.lag), style=style)
    return table
