"""Starts each stage as its own process, restarts a crashed one with capped backoff, and stops
them in pipeline order (frigate's watchdog: a record per process, a clean exit is final)."""
from __future__ import annotations

import logging
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from common.backoff import Backoff
from common.stage import CONFIG_ERROR_EXIT
from launcher.procs import spawn, stop

log = logging.getLogger(__name__)
HEALTHY_AFTER_S = 60.0  # a process that ran this long has its backoff reset


@dataclass
class StageProcess:
    name: str  # e.g. "analyzer-1"
    stage: str  # e.g. "analyzer"
    argv: list[str]
    backoff: Backoff
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    next_start: float = 0.0
    restarts: int = 0
    finished: bool = False  # exited 0: not restarted
    cannot_start: bool = False  # exited CONFIG_ERROR_EXIT: the whole pipeline stops
    last_exit: int | None = None

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None


@dataclass
class Supervisor:
    processes: list[StageProcess]
    env: dict[str, str]
    log_dir: Path | None = None  # stage output goes to <log_dir>/<name>.log instead of ours
    stopping: bool = field(default=False)

    def poll(self) -> None:
        now = time.monotonic()
        for p in self.processes:
            if p.proc is not None:
                code = p.proc.poll()
                if code is None:
                    if now - p.started_at > HEALTHY_AFTER_S:
                        p.backoff.reset()
                    continue
                p.proc, p.last_exit = None, code
                if code == 0:
                    p.finished = True
                    log.info("stage=%s exited cleanly; not restarted", p.name)
                    continue
                if code == CONFIG_ERROR_EXIT:
                    p.finished = p.cannot_start = True
                    log.error("stage=%s cannot start (its message is above); not restarted", p.name)
                    continue
                delay = p.backoff.next_delay()
                p.next_start = now + delay
                p.restarts += 1
                log.warning("stage=%s exited code=%d; restart in %.1fs", p.name, code, delay)
            if not p.finished and not self.stopping and now >= p.next_start:
                self._start(p)

    def _start(self, p: StageProcess) -> None:
        output = None
        if self.log_dir is not None:
            self.log_dir.mkdir(parents=True, exist_ok=True)
            output = open(self.log_dir / f"{p.name}.log", "ab")  # noqa: SIM115 - the child's
        p.proc = spawn(p.argv, env=self.env, stdout=output)
        if output is not None:
            output.close()  # the child holds its own descriptor
        p.started_at = time.monotonic()
        log.info("stage=%s started pid=%d", p.name, p.proc.pid)

    @property
    def failed_to_start(self) -> list[str]:
        return [p.name for p in self.processes if p.cannot_start]

    def signal_all(self, signum: int) -> None:
        for p in self.processes:
            if p.proc is not None and p.proc.poll() is None:
                p.proc.send_signal(signum)

    def stop_stage(self, stage: str, timeout: float) -> None:
        for p in self.processes:
            if p.stage == stage and p.proc is not None:
                p.last_exit = stop(p.proc, timeout)
                log.info("stage=%s stopped code=%s", p.name, p.last_exit)
                p.proc = None
