"""Redis connection and the stream operations every stage shares, portable to Redis 5.0+.

XAUTOCLAIM and XINFO's `lag` arrived in 6.2 and 7.0; on older servers the same results come
from XPENDING + XCLAIM and from XRANGE, so nothing in FAAS needs more than Redis 5.0.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis

SOCKET_TIMEOUT_S = 5.0
LEGACY_LAG_CAP = 1000  # above the 1 s XREADGROUP BLOCK, so a block never times out the socket


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(
        url,
        decode_responses=False,  # payloads are msgpack with JPEG bytes
        socket_timeout=SOCKET_TIMEOUT_S,
        socket_connect_timeout=SOCKET_TIMEOUT_S,
        socket_keepalive=True,
        health_check_interval=30,
    )


def server_version(client: redis.Redis) -> tuple[int, ...]:
    info: Any = client.info("server")
    return tuple(int(part) for part in str(info["redis_version"]).split(".")[:3])


def ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    """Create the consumer group (and the stream) unless it exists: safe to call from any worker."""
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


@dataclass(frozen=True)
class Claimed:
    entry_id: str
    fields: dict[bytes, bytes] | None  # None: the entry was trimmed while pending
    deliveries: int


def text(value: Any) -> str:
    """A Redis reply value (bytes: clients here never decode) as str."""
    return value.decode() if isinstance(value, bytes) else str(value)


class Reclaimer:
    """Takes over entries idle past `min_idle_ms` in a group, whoever holds them."""

    def __init__(self, client: redis.Redis, *, group: str, consumer: str) -> None:
        self.client = client
        self.group = group
        self.consumer = consumer
        self.has_xautoclaim = server_version(client) >= (6, 2)
        self._cursor: dict[str, str] = {}

    def claim(self, stream: str, *, min_idle_ms: int, count: int) -> list[Claimed]:
        if self.has_xautoclaim:
            ids, bodies = self._xautoclaim(stream, min_idle_ms, count)
        else:
            ids, bodies = self._xpending_xclaim(stream, min_idle_ms, count)
        if not ids:
            return []
        deliveries = self._deliveries(stream, ids)
        return [Claimed(i, bodies.get(i), deliveries.get(i, 1)) for i in ids]

    def _xautoclaim(self, stream: str, min_idle_ms: int, count: int) -> tuple[list[str], dict]:
        start = self._cursor.get(stream, "0-0")
        reply: Any = self.client.xautoclaim(
            stream, self.group, self.consumer, min_idle_ms, start_id=start, count=count
        )
        self._cursor[stream] = text(reply[0])
        ids: list[str] = []
        bodies: dict[str, dict[bytes, bytes] | None] = {}
        for entry_id, fields in reply[1]:
            ids.append(text(entry_id))
            bodies[text(entry_id)] = fields or None
        return ids, bodies

    def _xpending_xclaim(self, stream: str, min_idle_ms: int, count: int) -> tuple[list[str], dict]:
        # Redis < 6.2 has neither XAUTOCLAIM nor exclusive ranges: page through the PEL with an
        # inclusive cursor and drop the row that repeats it.
        start = self._cursor.get(stream)
        page: Any = self.client.xpending_range(
            stream, self.group, min=start or "-", max="+", count=count * 10 + 1
        )
        if start is not None and page and text(page[0]["message_id"]) == start:
            page = page[1:]
        if len(page) < count * 10:
            self._cursor.pop(stream, None)  # reached the end: next time scan from the start
        else:
            self._cursor[stream] = text(page[-1]["message_id"])
        idle = [text(p["message_id"]) for p in page if p["time_since_delivered"] >= min_idle_ms]
        if not idle:
            return [], {}
        claimed: Any = self.client.xclaim(
            stream, self.group, self.consumer, min_idle_ms, list[Any](idle[:count])
        )
        bodies: dict[str, dict[bytes, bytes] | None] = {
            text(entry_id): fields or None for entry_id, fields in claimed
        }
        ids = list(bodies)
        # Before 7.0, XCLAIM skips entries trimmed from the stream while pending; report them
        # without a body so the caller acks them instead of finding them here forever.
        gone = [
            i for i in idle[:count]
            if i not in bodies and not self.client.xrange(stream, min=i, max=i)
        ]
        for entry_id in gone:
            ids.append(entry_id)
            bodies[entry_id] = None
        return ids, bodies

    def _deliveries(self, stream: str, ids: list[str]) -> dict[str, int]:
        rows: Any = self.client.xpending_range(
            stream, self.group, min=min(ids, key=_sort_key), max=max(ids, key=_sort_key),
            count=len(ids) + 100, consumername=self.consumer,
        )
        return {text(row["message_id"]): int(row["times_delivered"]) for row in rows}


def _sort_key(entry_id: str) -> tuple[int, int]:
    ms, _, seq = entry_id.partition("-")
    return int(ms), int(seq or 0)


def group_lag(client: redis.Redis, stream: str, group: str) -> int | None:
    """Entries the group has not acked yet: pending plus not yet delivered. None: no group."""
    try:
        groups: Any = client.xinfo_groups(stream)
    except redis.ResponseError:
        return None
    for info in groups:
        if text(info["name"]) != group:
            continue
        pending = int(info.get("pending", 0))
        lag = info.get("lag")
        if lag is not None:
            return pending + int(lag)
        last = text(info["last-delivered-id"])
        # Before 7.0 there is no `lag`: count what follows the last delivered entry, up to a
        # bound (entries carry JPEGs; a huge backlog reads as LEGACY_LAG_CAP). Inclusive range
        # (exclusive ones need 6.2), minus the last delivered entry itself.
        after: Any = client.xrange(stream, min=last, max="+", count=LEGACY_LAG_CAP + 1)
        if after and text(after[0][0]) == last:
            after = after[1:]
        return pending + len(after)
    return None
