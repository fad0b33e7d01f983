"""FAAS launcher and CLI.

    python FAAS.py [--config FILE]          run the pipeline (default config/faas.yaml)
    python FAAS.py check-config FILE        validate a config and exit (0 ok, 2 bad)
    python FAAS.py reload [--config FILE]   make a running FAAS.py re-read its cameras (SIGHUP)
    python FAAS.py models list|pull [--config FILE]
                                            weight files the backends need; download them
    python FAAS.py stats [--camera ID] [--window 5m] [--json] [--config FILE]
                                            the counts, as a table or as /api/stats's JSON

Running starts an embedded Redis when the config names none, then each stage as its own
process (`analyzer.replicas` analyzers), restarts crashed stages with backoff, prints a compact
status, and on Ctrl-C stops ingest first, drains for a bounded time, stops the rest, exits 0.
"""
from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from rich.console import Console
from rich.live import Live
from rich.logging import RichHandler

from common.backoff import Backoff
from common.config import FaasConfig, load_config
from common.logs import setup_logging
from common.stage import CONFIG_ERROR_EXIT
from common.streams import connect
from common.yamlsource import ConfigError
from launcher.embedded_redis import EmbeddedRedis, EmbeddedRedisError
from launcher.status import StageStatus, StatusReader, format_line, format_table
from launcher.supervisor import StageProcess, Supervisor

ROOT = Path(__file__).resolve().parent
DEFAULT_CONFIG = ROOT / "config" / "faas.yaml"
STOP_ORDER = ("ingest", "detector", "analyzer", "aggregator")
log = logging.getLogger("faas")


def _load_or_exit(path: Path) -> FaasConfig:
    try:
        return load_config(path)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        raise SystemExit(CONFIG_ERROR_EXIT) from None


def check_config(path: Path) -> int:
    config = _load_or_exit(path)
    cameras = ", ".join(f"{c.id} ({c.safe_url})" for c in config.cameras) or "none"
    print(f"{path}: ok; cameras: {cameras}; detector: {config.detector.backend.type}; "
          f"analyzer: {config.analyzer.backend.type} x{config.analyzer.replicas}; engine: {config.engine}")
    return 0


def stage_processes(config: FaasConfig, config_path: Path, redis_url: str) -> list[StageProcess]:
    def argv(stage: str, replica: int = 0) -> list[str]:
        return [sys.executable, "-m", f"services.{stage}", "--config", str(config_path),
                "--redis-url", redis_url, "--replica", str(replica)]

    cap = config.launcher.max_restart_delay
    plan = [("ingest", 0), ("detector", 0), ("aggregator", 0)]
    plan += [("analyzer", i) for i in range(config.analyzer.replicas)]
    return [
        StageProcess(name=stage if stage != "analyzer" else f"analyzer-{i}", stage=stage,
                     argv=argv(stage, i), backoff=Backoff(base=1.0, cap=cap))
        for stage, i in plan
    ]


def reload(config_path: Path) -> int:
    """Validate the edited config here (errors shown to the user), then signal the launcher."""
    config = _load_or_exit(config_path)
    if not hasattr(signal, "SIGHUP"):
        print("FAAS: reload needs SIGHUP, which this platform lacks; restart FAAS.py", file=sys.stderr)
        return 1
    try:
        pid = int(config.launcher.pid_file.read_text().strip())
        os.kill(pid, signal.SIGHUP)
    except (OSError, ValueError) as exc:
        print(f"FAAS: no running FAAS.py found through {config.launcher.pid_file}: {exc}",
              file=sys.stderr)
        return 1
    print(f"FAAS: asked FAAS.py (pid {pid}) to reload {config_path}")
    return 0


def run(config_path: Path) -> int:
    stop, reload_requested = threading.Event(), threading.Event()

    def request_stop(signum: int, _frame: object) -> None:
        if stop.is_set():
            log.warning("second signal: exiting now")
            os._exit(1)
        log.info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGTERM, request_stop)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, lambda _signum, _frame: reload_requested.set())
    config_path = config_path.resolve()
    config = _load_or_exit(config_path)
    setup_logging(config.log_level, process="launcher")
    console = Console() if sys.stdout.isatty() else None
    if console is not None:  # our log lines print above the live table
        logging.getLogger().handlers[:] = [RichHandler(console=console, show_path=False)]

    embedded = None
    redis_url = config.redis.url
    pid_file = config.launcher.pid_file
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    try:
        if not redis_url:
            embedded = EmbeddedRedis(Path(config.redis.data_dir))
            try:
                redis_url = embedded.start()
            except EmbeddedRedisError as exc:
                print(f"FAAS: {exc}", file=sys.stderr)
                return 1
        env = dict(os.environ, PYTHONPATH=os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
        log_dir = Path(".faas/logs") if console is not None else None
        supervisor = Supervisor(stage_processes(config, config_path, redis_url), env, log_dir)
        status = StatusReader(config, connect(redis_url))
        if console is None:
            _supervise(config_path, config, supervisor, status, stop, reload_requested, None)
        else:
            caption = f"stage logs in {log_dir}/ · Ctrl-C stops"
            with Live(format_table([], caption=caption), console=console,
                      refresh_per_second=2) as live:
                _supervise(config_path, config, supervisor, status, stop, reload_requested,
                           lambda rows: live.update(format_table(rows, caption=caption)))
        _stop_in_order(config, supervisor, status)
        if supervisor.failed_to_start:
            failed = ", ".join(supervisor.failed_to_start)
            print(f"FAAS: {failed} could not start (see the message above"
                  f"{' and in .faas/logs/' if console is not None else ''}); stopped. "
                  f"config/offline.yaml runs without any download.", file=sys.stderr)
            return CONFIG_ERROR_EXIT
    finally:
        if embedded is not None:
            embedded.stop()
        pid_file.unlink(missing_ok=True)
    log.info("stopped")
    return 0


def _supervise(config_path: Path, config: FaasConfig, supervisor: Supervisor,
               status: StatusReader, stop: threading.Event, reload_requested: threading.Event,
               show: Callable[[list[StageStatus]], None] | None) -> None:
    """Keep the stages running until asked to stop; show status as a table (`show`) or log lines."""
    next_status = 0.0
    while not stop.is_set():
        if reload_requested.is_set():
            reload_requested.clear()
            config = _reload_stages(config_path, config, supervisor, status)
        supervisor.poll()
        if supervisor.failed_to_start:
            return
        if time.monotonic() >= next_status:
            next_status = time.monotonic() + config.launcher.status_interval
            try:
                rows = status.read(supervisor)
                if show is None:
                    log.info("%s", format_line(rows))
                else:
                    show(rows)
            except Exception as exc:  # noqa: BLE001 - status is best effort, never fatal
                log.warning("status unavailable: %s", exc)
        stop.wait(0.5)


def _reload_stages(config_path: Path, config: FaasConfig, supervisor: Supervisor,
                   status: StatusReader) -> FaasConfig:
    """Check the edited config, then let every stage re-read its cameras (SIGHUP)."""
    try:
        new = load_config(config_path)
    except ConfigError as exc:
        log.error("reload refused, the running config stays:\n%s", exc)
        return config
    if new.model_dump(exclude={"cameras"}) != config.model_dump(exclude={"cameras"}):
        log.warning("reload applies camera changes only; restart FAAS.py for the other settings")
    log.info("reload: cameras %s", [c.id for c in new.enabled_cameras])
    supervisor.signal_all(signal.SIGHUP)
    status.config = new
    return new


def _stop_in_order(config: FaasConfig, supervisor: Supervisor, status: StatusReader) -> None:
    """Ingest first, so no new frames arrive; then let the queues drain for a bounded time."""
    supervisor.stopping = True
    timeout = config.launcher.stop_timeout
    supervisor.stop_stage("ingest", timeout)
    deadline = time.monotonic() + config.launcher.drain_timeout
    while time.monotonic() < deadline:
        try:
            lag = status.total_lag()
        except Exception as exc:  # noqa: BLE001 - a dead Redis ends the drain, not the stop
            log.warning("drain: cannot read lag (%s)", exc)
            break
        if lag == 0:
            break
        supervisor.poll()
        time.sleep(0.2)
    for stage in STOP_ORDER[1:]:
        supervisor.stop_stage(stage, timeout)


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["check-config"]:
        parser = argparse.ArgumentParser(prog="FAAS.py check-config")
        parser.add_argument("config", type=Path)
        return check_config(parser.parse_args(argv[1:]).config)
    if argv[:1] == ["reload"]:
        parser = argparse.ArgumentParser(prog="FAAS.py reload")
        parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
        return reload(parser.parse_args(argv[1:]).config)
    if argv[:1] == ["models"]:
        parser = argparse.ArgumentParser(prog="FAAS.py models")
        parser.add_argument("action", choices=["list", "pull"])
        parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
        args = parser.parse_args(argv[1:])
        from launcher.models import list_models, pull_models

        config = _load_or_exit(args.config)
        return list_models(config) if args.action == "list" else pull_models(config)
    if argv[:1] == ["stats"]:
        parser = argparse.ArgumentParser(prog="FAAS.py stats")
        parser.add_argument("--camera", default="all")
        parser.add_argument("--window", default="5m")
        parser.add_argument("--at", type=int, help="end of the window, epoch ms (default: now)")
        parser.add_argument("--json", action="store_true")
        parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
        args = parser.parse_args(argv[1:])
        from launcher.stats_cli import stats_command

        return stats_command(_load_or_exit(args.config), camera=args.camera, window=args.window,
                             as_json=args.json, at=args.at)
    if argv[:1] == ["run"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(prog="FAAS.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG)
    return run(parser.parse_args(argv).config)


if __name__ == "__main__":
    sys.exit(main())
