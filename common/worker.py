"""The consumer loop every processing stage runs: read a batch, process, publish + ack atomically.

Lifecycle (rq's `work()`, arq's `run_job`): create the groups, then until asked to stop:
heartbeat, reclaim entries that dead consumers left idle, XREADGROUP a batch (BLOCK <= 1 s),
hand it to the stage, and commit the stage's outputs, dead letters and XACKs in one MULTI/EXEC.
A lost Redis is retried with capped, jittered backoff. The first SIGTERM/SIGINT lets the batch
in hand finish; a second exits at once.
"""
from __future__ import annotations

import json
import logging
import os
import signal
import socket
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Protocol, Sequence, TypeVar, Union

import redis

from common import keys
from common.backoff import Backoff
from common.config import WorkerSettings
from common.messages import BadMessage, DeadLetter, Message
from common.metrics import (
    BATCH_SIZE,
    DEAD_LETTERS,
    GROUP_LAG,
    MESSAGES_PROCESSED,
    REDIS_RECONNECTS,
    STREAM_LENGTH,
)
from common.streams import Reclaimer, ensure_group, group_lag, text

log = logging.getLogger(__name__)

M = TypeVar("M", bound=Message)
DLQ_MAXLEN = 10_000
GAUGES_INTERVAL_S = 5.0
_LAST_ERRORS_KEPT = 1_000


@dataclass(frozen=True)
class Inbound(Generic[M]):
    """A decoded entry handed to the stage."""

    stream: str
    entry_id: str
    message: M
    deliveries: int


class Write(Protocol):
    """Something a stage wants written in the same transaction that acks its input."""

    def apply(self, pipe: redis.client.Pipeline) -> None: ...


@dataclass(frozen=True)
class Output:
    """An entry the stage wants published to a bounded stream."""

    stream: str
    message: Message
    maxlen: int

    def apply(self, pipe: redis.client.Pipeline) -> None:
        pipe.xadd(self.stream, self.message.to_fields(), maxlen=self.maxlen, approximate=True)


@dataclass(frozen=True)
class Reject:
    """The stage gives up on an entry: it goes to faas:dlq now. `code` is a metric label."""

    code: str
    detail: str


Outcome = Union[Sequence[Write], Reject]
Handler = Callable[[list[Inbound[M]]], list[Outcome]]


@dataclass(frozen=True)
class RunLimits:
    """Finite mode for tests and batch jobs: stop after N entries, or after idling this long."""

    max_messages: int | None = None
    idle_exit_s: float | None = None


@dataclass
class _Raw:
    stream: str
    entry_id: str
    fields: dict[bytes, bytes] | None
    deliveries: int


@dataclass
class _Commit:
    outputs: list[Write] = field(default_factory=list)
    dead: list[tuple[_Raw, str, str]] = field(default_factory=list)  # raw, code, detail
    acks: list[_Raw] = field(default_factory=list)


def default_consumer_name(stage: str) -> str:
    return f"{stage}-{socket.gethostname()}-{os.getpid()}"


class StreamWorker(Generic[M]):
    def __init__(
        self,
        client: redis.Redis,
        *,
        stage: str,
        group: str,
        streams: Sequence[str],
        message_type: type[M],
        handle: Handler[M],
        settings: WorkerSettings,
        consumer: str | None = None,
        limits: RunLimits = RunLimits(),
        on_reload: Callable[[StreamWorker[M]], None] | None = None,
    ) -> None:
        self.client = client
        self.stage = stage
        self.group = group
        self.streams = list(streams)
        self.message_type = message_type
        self.handle = handle
        self.settings = settings
        self.consumer = consumer or default_consumer_name(stage)
        self.limits = limits
        self.stop = threading.Event()
        self.on_reload = on_reload
        self._reload = threading.Event()
        self.processed = 0
        self._started = time.time()
        self._last_activity = time.monotonic()
        self._next_heartbeat = 0.0
        self._next_gauges = 0.0
        self._next_reclaim = 0.0
        self._reclaimer: Reclaimer | None = None
        self._last_errors: OrderedDict[str, str] = OrderedDict()

    # -- lifecycle -------------------------------------------------------------------------

    def install_signal_handlers(self) -> None:
        def request_stop(signum: int, _frame: object) -> None:
            if self.stop.is_set():
                log.warning("stage=%s second signal %d: exiting now", self.stage, signum)
                os._exit(1)
            log.info("stage=%s signal %d: finishing the batch in hand", self.stage, signum)
            self.stop.set()

        signal.signal(signal.SIGTERM, request_stop)
        signal.signal(signal.SIGINT, request_stop)

    def request_reload(self) -> None:
        """Safe from a signal handler: the loop calls `on_reload` between batches."""
        self._reload.set()

    def set_streams(self, streams: Sequence[str]) -> None:
        """Read from these streams from the next batch on (a camera added or removed)."""
        self.streams = list(streams)
        self._reclaimer = None  # groups of new streams are created before the next read

    def run(self) -> None:
        backoff = Backoff(base=0.2, cap=10.0)
        log.info("stage=%s consumer=%s streams=%s starting", self.stage, self.consumer, self.streams)
        try:
            while not self.stop.is_set() and not self._limits_reached():
                try:
                    if self._reload.is_set() and self.on_reload is not None:
                        self._reload.clear()
                        self.on_reload(self)
                    self._setup_once()
                    self._heartbeat_if_due()
                    self._reclaim_if_due()
                    self._read_and_process()
                    backoff.reset()
                except redis.ResponseError as exc:
                    if "NOGROUP" not in str(exc):
                        raise
                    # Redis came back without our data (no persistence, or a flush): recreate.
                    log.warning("stage=%s consumer group vanished; recreating it", self.stage)
                    self._reclaimer = None
                except (redis.ConnectionError, redis.TimeoutError) as exc:
                    REDIS_RECONNECTS.labels(self.stage).inc()
                    delay = backoff.next_delay()
                    log.warning("stage=%s redis unavailable (%s); retry in %.1fs", self.stage, exc, delay)
                    self.stop.wait(delay)
        finally:
            self._leave()

    def _setup_once(self) -> None:
        if self._reclaimer is not None:
            return
        for stream in self.streams:
            ensure_group(self.client, stream, self.group)
        self._reclaimer = Reclaimer(self.client, group=self.group, consumer=self.consumer)

    def _limits_reached(self) -> bool:
        limits = self.limits
        if limits.max_messages is not None and self.processed >= limits.max_messages:
            return True
        idle = time.monotonic() - self._last_activity
        return limits.idle_exit_s is not None and idle >= limits.idle_exit_s

    def _leave(self) -> None:
        """Drop our consumer from each group when it holds nothing, and our liveness key."""
        try:
            for stream in self.streams:
                pending = self.client.xpending_range(
                    stream, self.group, min="-", max="+", count=1, consumername=self.consumer
                )
                if not pending:
                    self.client.xgroup_delconsumer(stream, self.group, self.consumer)
            self.client.delete(keys.liveness(self.stage, self.consumer))
        except redis.RedisError as exc:
            log.warning("stage=%s could not leave the group cleanly: %s", self.stage, exc)
        log.info("stage=%s consumer=%s stopped processed=%d", self.stage, self.consumer, self.processed)

    # -- periodic duties -------------------------------------------------------------------

    def _heartbeat_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_heartbeat:
            return
        self._next_heartbeat = now + min(1.0, self.settings.heartbeat_ttl / 3)
        state = {"pid": os.getpid(), "host": socket.gethostname(), "processed": self.processed,
                 "started": self._started, "ts": time.time()}
        self.client.set(
            keys.liveness(self.stage, self.consumer), json.dumps(state),
            px=int(self.settings.heartbeat_ttl * 1000),
        )
        if now >= self._next_gauges:
            self._next_gauges = now + GAUGES_INTERVAL_S
            for stream in self.streams:
                STREAM_LENGTH.labels(stream).set(self.client.xlen(stream))
                lag = group_lag(self.client, stream, self.group)
                if lag is not None:
                    GROUP_LAG.labels(stream, self.group).set(lag)

    def _reclaim_if_due(self) -> None:
        now = time.monotonic()
        if now < self._next_reclaim or self._reclaimer is None:
            return
        self._next_reclaim = now + max(0.5, self.settings.claim_idle / 2)
        min_idle_ms = int(self.settings.claim_idle * 1000)
        for stream in self.streams:
            claimed = self._reclaimer.claim(
                stream, min_idle_ms=min_idle_ms, count=self.settings.batch_size
            )
            if claimed:
                log.info("stage=%s reclaimed=%d stream=%s", self.stage, len(claimed), stream)
                self._process([_Raw(stream, c.entry_id, c.fields, c.deliveries) for c in claimed])

    # -- the batch -------------------------------------------------------------------------

    def _read_and_process(self) -> None:
        if not self.streams:  # e.g. a detector with every camera disabled: idle, stay alive
            self.stop.wait(self.settings.block)
            return
        reply: Any = self.client.xreadgroup(
            self.group, self.consumer, {stream: ">" for stream in self.streams},
            count=self.settings.batch_size, block=max(1, int(self.settings.block * 1000)),
        )
        batch = [
            _Raw(text(stream), text(entry_id), fields or None, 1)
            for stream, entries in reply or []
            for entry_id, fields in entries
        ]
        if batch:
            self._process(batch)

    def _process(self, batch: list[_Raw]) -> None:
        self._last_activity = time.monotonic()
        commit = _Commit()
        decoded: list[tuple[_Raw, Inbound[M]]] = []
        for raw in batch:
            if raw.fields is None:  # trimmed while pending: nothing left to process
                commit.acks.append(raw)
            elif raw.deliveries > self.settings.max_deliveries:
                last = self._last_errors.pop(raw.entry_id, "no error recorded by this consumer")
                commit.dead.append((raw, "max_deliveries",
                                    f"delivered {raw.deliveries} times; last error: {last}"))
            else:
                try:
                    message = self.message_type.from_fields(raw.fields)
                except BadMessage as exc:
                    commit.dead.append((raw, "decode_error", str(exc)))
                    continue
                decoded.append((raw, Inbound(raw.stream, raw.entry_id, message, raw.deliveries)))
        for raw, outcome in self._handle_isolating_failures(decoded):
            if isinstance(outcome, Reject):
                commit.dead.append((raw, outcome.code, outcome.detail))
            else:
                commit.outputs.extend(outcome)
                commit.acks.append(raw)
        self._commit(commit)
        BATCH_SIZE.labels(self.stage).observe(len(batch))

    def _handle_isolating_failures(
        self, decoded: list[tuple[_Raw, Inbound[M]]]
    ) -> list[tuple[_Raw, Outcome]]:
        """Run the stage on the batch; if it raises, run each entry alone so one bad entry
        cannot hold its batch-mates back. An entry that fails alone stays pending: it is
        reclaimed after `claim_idle`, and dead-lettered after `max_deliveries`."""
        if not decoded:
            return []
        try:
            return list(zip([raw for raw, _ in decoded], self._call([i for _, i in decoded])))
        except Exception:  # noqa: BLE001 - model code raises anything; data must not crash a stage
            log.exception("stage=%s batch of %d failed; retrying one by one", self.stage, len(decoded))
        results: list[tuple[_Raw, Outcome]] = []
        for raw, inbound in decoded:
            try:
                results.append((raw, self._call([inbound])[0]))
            except Exception as exc:  # noqa: BLE001 - see above
                self._remember_error(raw.entry_id, f"{type(exc).__name__}: {exc}")
                log.warning("stage=%s entry=%s failed delivery %d: %s", self.stage,
                            raw.entry_id, raw.deliveries, exc)
        return results

    def _call(self, inbound: list[Inbound[M]]) -> list[Outcome]:
        outcomes = self.handle(inbound)
        if len(outcomes) != len(inbound):
            raise RuntimeError(f"handler returned {len(outcomes)} outcomes for {len(inbound)} entries")
        return outcomes

    def _remember_error(self, entry_id: str, error: str) -> None:
        self._last_errors[entry_id] = error
        while len(self._last_errors) > _LAST_ERRORS_KEPT:
            self._last_errors.popitem(last=False)

    def _commit(self, commit: _Commit) -> None:
        """Outputs, dead letters and acks in one MULTI/EXEC: a crash leaves all or nothing."""
        if not (commit.outputs or commit.dead or commit.acks):
            return
        pipe = self.client.pipeline(transaction=True)
        for write in commit.outputs:
            write.apply(pipe)
        for raw, code, detail in commit.dead:
            letter = DeadLetter(stage=self.stage, source_stream=raw.stream, entry_id=raw.entry_id,
                                deliveries=raw.deliveries, reason=f"{code}: {detail}",
                                payload=(raw.fields or {}).get(b"m", b""))
            pipe.xadd(keys.DLQ_STREAM, letter.to_fields(), maxlen=DLQ_MAXLEN, approximate=True)
        by_stream: dict[str, list[str]] = {}
        for raw in [*commit.acks, *(raw for raw, _, _ in commit.dead)]:
            by_stream.setdefault(raw.stream, []).append(raw.entry_id)
        for stream, ids in by_stream.items():
            pipe.xack(stream, self.group, *ids)
        pipe.execute()
        for raw, code, detail in commit.dead:
            DEAD_LETTERS.labels(self.stage, code).inc()
            log.warning("stage=%s entry=%s stream=%s dead-lettered: %s: %s", self.stage,
                        raw.entry_id, raw.stream, code, detail)
        handled = sum(len(ids) for ids in by_stream.values())
        self.processed += handled
        MESSAGES_PROCESSED.labels(self.stage).inc(handled)
