"""Rolling-window counts in Redis sorted sets (DESIGN.md, aggregator).

Per camera, `faas:agg:{camera}:faces` and one set per attribute value hold face_ids scored by
capture time. Adding is ZADD NX, so a redelivered attributes entry changes no count; a window
is a ZCOUNT over [now - window, now]; trimming drops what is older than the retention.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import redis

from common import keys
from common.messages import Attributes
from common.streams import text

AGE_BANDS: tuple[tuple[int, str], ...] = (
    (17, "0-17"), (24, "18-24"), (34, "25-34"), (44, "35-44"), (54, "45-54"), (64, "55-64"),
)
OLDEST_BAND = "65+"
AGE_BAND_NAMES = tuple(name for _, name in AGE_BANDS) + (OLDEST_BAND,)
ATTRIBUTES = ("age", "gender", "emotion", "race")


def age_band(age: float) -> str:
    years = int(age)
    for upper, name in AGE_BANDS:
        if years <= upper:
            return name
    return OLDEST_BAND


def attribute_values(attributes: Attributes) -> dict[str, str]:
    """The counted value of each attribute the message carries (ages as bands)."""
    values = {}
    if attributes.age is not None:
        values["age"] = age_band(attributes.age)
    for name in ("gender", "emotion", "race"):
        value = getattr(attributes, name)
        if value is not None:
            values[name] = str(value)
    return values


@dataclass(frozen=True)
class Tally:
    """The sorted-set writes for one attributes entry; applied in the worker's MULTI/EXEC."""

    attributes: Attributes

    def apply(self, pipe: redis.client.Pipeline) -> None:
        a = self.attributes
        member = {a.face_id: a.ts_ms}
        pipe.sadd(keys.AGG_CAMERAS, a.camera)
        pipe.zadd(keys.agg_faces(a.camera), member, nx=True)
        for attribute, value in attribute_values(a).items():
            pipe.sadd(keys.agg_values_index(a.camera, attribute), value)
            pipe.zadd(keys.agg_value(a.camera, attribute, value), member, nx=True)


class AggregateStore:
    def __init__(self, client: redis.Redis) -> None:
        self.client = client

    def cameras(self) -> list[str]:
        return sorted(text(c) for c in self.client.smembers(keys.AGG_CAMERAS))

    def _values(self, cameras: list[str]) -> dict[str, list[str]]:
        pipe = self.client.pipeline(transaction=False)
        for camera in cameras:
            for attribute in ATTRIBUTES:
                pipe.smembers(keys.agg_values_index(camera, attribute))
        replies = iter(pipe.execute())
        seen: dict[str, set[str]] = {a: set() for a in ATTRIBUTES}
        for _camera in cameras:
            for attribute in ATTRIBUTES:
                seen[attribute].update(text(v) for v in next(replies))
        ordered = {a: sorted(v) for a, v in seen.items()}
        ordered["age"] = [b for b in AGE_BAND_NAMES if b in seen["age"]]
        return ordered

    def stats(self, camera: str, window_s: float, *, now_ms: int | None = None) -> dict[str, Any]:
        """Counts over [now - window, now], both ends included, for one camera or `all`."""
        to_ms = int(time.time() * 1000) if now_ms is None else now_ms
        from_ms = to_ms - int(window_s * 1000)
        cameras = self.cameras() if camera == "all" else [camera]
        values = self._values(cameras)
        pipe = self.client.pipeline(transaction=False)
        for cam in cameras:
            pipe.zcount(keys.agg_faces(cam), from_ms, to_ms)
            for attribute, names in values.items():
                for value in names:
                    pipe.zcount(keys.agg_value(cam, attribute, value), from_ms, to_ms)
        replies = iter(pipe.execute())
        faces = 0
        counts: dict[str, dict[str, int]] = {a: dict.fromkeys(v, 0) for a, v in values.items()}
        for _cam in cameras:
            faces += int(next(replies))
            for attribute, names in values.items():
                for value in names:
                    counts[attribute][value] += int(next(replies))
        return {
            "camera": camera, "window_s": window_s, "from_ms": from_ms, "to_ms": to_ms,
            "faces": faces, "attributes": {a: _shares(c) for a, c in counts.items()},
        }

    def timeline(self, camera: str, window_s: float, step_s: float, *,
                 now_ms: int | None = None) -> dict[str, Any]:
        """Faces per step over the window, oldest first; each bucket is [start, start + step)
        and the last one ends at now, included: the buckets add up to `stats` for the window."""
        to_ms = int(time.time() * 1000) if now_ms is None else now_ms
        step_ms, count = int(step_s * 1000), max(1, round(window_s / step_s))
        starts = [to_ms - (count - i) * step_ms for i in range(count)]
        cameras = self.cameras() if camera == "all" else [camera]
        pipe = self.client.pipeline(transaction=False)
        for cam in cameras:
            for i, start in enumerate(starts):
                end = str(to_ms) if i == count - 1 else f"({start + step_ms}"
                pipe.zcount(keys.agg_faces(cam), start, end)
        replies = pipe.execute()
        faces = [sum(int(replies[c * count + i]) for c in range(len(cameras))) for i in range(count)]
        return {"camera": camera, "window_s": window_s, "step_s": step_s, "from_ms": starts[0],
                "to_ms": to_ms, "buckets": [{"start_ms": s, "faces": f} for s, f in zip(starts, faces)]}

    def trim(self, retention_s: float, *, now_ms: int | None = None) -> int:
        """Drop members older than the retention from every set; returns how many."""
        cutoff = (int(time.time() * 1000) if now_ms is None else now_ms) - int(retention_s * 1000)
        cameras = self.cameras()
        values = self._values(cameras)
        pipe = self.client.pipeline(transaction=False)
        for cam in cameras:
            pipe.zremrangebyscore(keys.agg_faces(cam), "-inf", f"({cutoff}")
            for attribute, names in values.items():
                for value in names:
                    pipe.zremrangebyscore(keys.agg_value(cam, attribute, value), "-inf", f"({cutoff}")
        return sum(int(n) for n in pipe.execute())


def _shares(counts: dict[str, int]) -> dict[str, Any]:
    """Each value's count and share of the faces that carry this attribute (`n`)."""
    n = sum(counts.values())
    return {
        "n": n,
        "values": {v: {"count": c, "share": round(c / n, 4) if n else 0.0} for v, c in counts.items()},
    }
