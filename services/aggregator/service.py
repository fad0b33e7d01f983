"""Aggregator stage logic: turn each attributes entry into idempotent sorted-set writes,
trim past the retention, and export window counts as Prometheus gauges at scrape time."""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterator

import redis
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from common.config import FaasConfig
from common.messages import Attributes
from common.metrics import STAGE_LATENCY
from common.worker import Inbound, Outcome
from services.aggregator.api import window_label
from services.aggregator.store import AggregateStore, Tally

log = logging.getLogger(__name__)


def tally(batch: list[Inbound[Attributes]]) -> list[Outcome]:
    now = time.time()
    for inbound in batch:
        STAGE_LATENCY.labels("aggregator").observe(max(0.0, now - inbound.message.ts_ms / 1000))
    return [[Tally(inbound.message)] for inbound in batch]


class WindowCounts(Collector):
    """faas_window_count{camera,attribute,value,window}, computed when Prometheus scrapes."""

    def __init__(self, store: AggregateStore, windows: tuple[float, ...]) -> None:
        self.store = store
        self.windows = windows

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily("faas_window_count", "Faces per attribute value in a window",
                                   labels=["camera", "attribute", "value", "window"])
        try:
            for camera in self.store.cameras():
                for window in self.windows:
                    stats = self.store.stats(camera, window)
                    label = window_label(window)
                    family.add_metric([camera, "faces", "all", label], stats["faces"])
                    for attribute, shares in stats["attributes"].items():
                        for value, entry in shares["values"].items():
                            family.add_metric([camera, attribute, value, label], entry["count"])
        except redis.RedisError as exc:
            log.warning("window gauges unavailable: %s", exc)
        yield family


def trim_forever(store: AggregateStore, config: FaasConfig, stop: threading.Event) -> None:
    interval = min(60.0, config.aggregator.retention / 10)
    while not stop.wait(interval):
        try:
            removed = store.trim(config.aggregator.retention)
        except redis.RedisError as exc:
            log.warning("retention trim failed, will retry: %s", exc)
            continue
        if removed:
            log.info("trimmed=%d older than retention=%gs", removed, config.aggregator.retention)
