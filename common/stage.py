"""What every `python -m services.<stage>` entry point does before and after its own logic.

Parse the common flags, load the config (exit 2 on a bad one), connect to Redis, expose
metrics, build the stage, run it until stopped, exit 0.
"""
from __future__ import annotations

import argparse
import logging
import signal
import sys
from dataclasses import dataclass
from typing import Callable, Protocol

from common.config import FaasConfig, load_config
from common.logs import setup_logging
from common.metrics import serve
from common.worker import RunLimits
from common.yamlsource import ConfigError

log = logging.getLogger(__name__)
CONFIG_ERROR_EXIT = 2  # bad config or missing weights: the launcher does not retry it


class Runnable(Protocol):
    def install_signal_handlers(self) -> None: ...
    def request_reload(self) -> None: ...
    def run(self) -> None: ...


@dataclass(frozen=True)
class StageArgs:
    config: FaasConfig
    config_path: str
    redis_url: str
    consumer: str | None
    limits: RunLimits
    replica: int


class StartupError(Exception):
    """A problem found before the stage starts (missing weights, say): one clear message."""


def parse_args(stage: str, argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=f"python -m services.{stage}")
    parser.add_argument("--config", required=True, help="FAAS YAML config")
    parser.add_argument("--redis-url", help="overrides redis.url (FAAS.py passes its embedded one)")
    parser.add_argument("--consumer", help="consumer name in the group (default: stage-host-pid)")
    parser.add_argument("--metrics-port", type=int, help="0: any free port; -1: no metrics")
    parser.add_argument("--replica", type=int, default=0, help="replica index, set by FAAS.py")
    parser.add_argument("--max-messages", type=int, help="finite mode: stop after N entries")
    parser.add_argument("--idle-exit", type=float, help="finite mode: stop after N idle seconds")
    return parser.parse_args(argv)


def reloaded_config(args: StageArgs) -> FaasConfig | None:
    """The config file read again, or None (logged) when it is now invalid."""
    try:
        return load_config(args.config_path)
    except ConfigError as exc:
        log.error("reload refused, keeping the running config:\n%s", exc)
        return None


def main(
    stage: str,
    build: Callable[[StageArgs], Runnable],
    *,
    argv: list[str] | None = None,
) -> int:
    args = parse_args(stage, argv)
    try:
        config = load_config(args.config)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return CONFIG_ERROR_EXIT
    setup_logging(config.log_level, process=stage)
    redis_url = args.redis_url or config.redis.url
    if not redis_url:
        print(f"{args.config}: redis.url is not set and no --redis-url given "
              "(FAAS.py starts an embedded Redis and passes it)", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    port = args.metrics_port if args.metrics_port is not None else config.metrics_port(
        stage, args.replica)
    if config.metrics.enabled and port >= 0:
        serve(config.metrics.host, port)
    stage_args = StageArgs(
        config=config, config_path=args.config, redis_url=redis_url, consumer=args.consumer,
        limits=RunLimits(max_messages=args.max_messages, idle_exit_s=args.idle_exit),
        replica=args.replica,
    )
    try:
        runnable = build(stage_args)
    except StartupError as exc:
        print(f"{stage}: {exc}", file=sys.stderr)
        return CONFIG_ERROR_EXIT
    runnable.install_signal_handlers()
    if hasattr(signal, "SIGHUP"):  # POSIX: `FAAS.py reload` forwards SIGHUP to every stage
        signal.signal(signal.SIGHUP, lambda _signum, _frame: runnable.request_reload())
    runnable.run()
    return 0


