"""The typed messages that travel between stages, and their msgpack wire form.

Every stream entry has one field `m`: a msgpack map whose first key `v` is the schema's major
version. Field names carry units (`ts_ms`, `box_xywh`); the wire keys are DESIGN.md's short ones.
A reader that meets an unknown major version, a missing key or a wrong type raises BadMessage,
which the worker loop turns into a dead letter instead of a crash.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

import msgpack

SCHEMA_VERSION = 1
FIELD = b"m"
StreamFields = dict[Any, Any]  # what redis-py takes for XADD and returns from XREAD


class BadMessage(ValueError):
    """An entry that cannot be decoded into the expected message."""


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise BadMessage(message)


@dataclass(frozen=True)
class Message:
    wire_names: ClassVar[dict[str, str]] = {}

    def to_fields(self) -> StreamFields:
        payload: dict[str, Any] = {"v": SCHEMA_VERSION}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if value is not None:  # an attribute a backend does not produce is absent
                payload[self.wire_names.get(f.name, f.name)] = value
        return {FIELD: msgpack.packb(payload, use_bin_type=True)}

    @classmethod
    def from_fields(cls: type[M], fields: StreamFields) -> M:
        raw = fields.get(FIELD)
        _require(raw is not None, f"entry has no {FIELD.decode()!r} field")
        try:
            payload = msgpack.unpackb(raw, raw=False)
        except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError) as exc:
            raise BadMessage(f"not msgpack: {exc}") from None
        _require(isinstance(payload, dict), f"expected a map, got {type(payload).__name__}")
        version = payload.get("v")
        _require(version == SCHEMA_VERSION, f"unknown schema version {version!r}")
        kwargs: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            key = cls.wire_names.get(f.name, f.name)
            if key in payload:
                kwargs[f.name] = payload[key]
            elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                raise BadMessage(f"{cls.__name__} is missing {key!r}")
        try:
            return cls(**kwargs)
        except (TypeError, ValueError) as exc:
            raise BadMessage(f"{cls.__name__}: {exc}") from None


M = TypeVar("M", bound=Message)


def _check_types(obj: Any, **expected: type | tuple[type, ...]) -> None:
    for name, types in expected.items():
        value = getattr(obj, name)
        if isinstance(value, bool) or not isinstance(value, types):  # no field here is a bool
            raise BadMessage(
                f"{type(obj).__name__}.{name}: expected {types}, got {type(value).__name__}"
            )


@dataclass(frozen=True)
class Frame(Message):
    """One sampled camera frame, JPEG-encoded."""

    wire_names: ClassVar[dict[str, str]] = {"ts_ms": "ts"}
    camera: str
    seq: int
    ts_ms: int  # capture time, Unix epoch ms
    w: int
    h: int
    jpeg: bytes

    def __post_init__(self) -> None:
        _check_types(self, camera=str, seq=int, ts_ms=int, w=int, h=int, jpeg=bytes)


@dataclass(frozen=True)
class Face(Message):
    """One detected face: its box in the frame and the aligned crop the analyzer reads."""

    wire_names: ClassVar[dict[str, str]] = {"ts_ms": "ts", "box_xywh": "box"}
    face_id: str  # "{frame entry id}/{face index}": stable across redeliveries
    camera: str
    frame_id: str
    seq: int
    ts_ms: int
    box_xywh: list[int]
    score: float
    landmarks: dict[str, list[float]]
    jpeg: bytes
    track_id: str | None = None

    def __post_init__(self) -> None:
        _check_types(
            self, face_id=str, camera=str, frame_id=str, seq=int, ts_ms=int, score=(int, float),
            landmarks=dict, jpeg=bytes,
        )
        _require(
            isinstance(self.box_xywh, (list, tuple)) and len(self.box_xywh) == 4,
            f"Face.box_xywh: expected [x, y, w, h], got {self.box_xywh!r}",
        )


@dataclass(frozen=True)
class Attributes(Message):
    """What an analyzer found for one face; an attribute it does not produce stays None."""

    wire_names: ClassVar[dict[str, str]] = {"ts_ms": "ts"}
    face_id: str
    camera: str
    ts_ms: int
    backend: str
    track_id: str | None = None
    age: float | None = None
    gender: str | None = None
    gender_score: float | None = None
    emotion: str | None = None
    emotion_scores: dict[str, float] | None = None
    race: str | None = None
    race_scores: dict[str, float] | None = None

    def __post_init__(self) -> None:
        _check_types(self, face_id=str, camera=str, ts_ms=int, backend=str)
        if self.age is not None:
            _check_types(self, age=(int, float))


@dataclass(frozen=True)
class DeadLetter(Message):
    """An entry a stage gave up on, with why; `payload` is the original `m` field."""

    stage: str
    source_stream: str
    entry_id: str
    deliveries: int
    reason: str
    payload: bytes = field(default=b"")

    def __post_init__(self) -> None:
        _check_types(self, stage=str, source_stream=str, entry_id=str, deliveries=int, reason=str)
