"""The analyzer backend interface, and the registry `analyzer.backend.type` is resolved from."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, Sequence

from common.backends import BackendRegistry
from common.imaging import Image

REGISTRY = BackendRegistry("analyzer", {
    "deepface": "services.analyzer.backends.deepface",
    "lite": "services.analyzer.backends.lite",
})


@dataclass(frozen=True)
class FaceAttributes:
    """What a backend found for one crop; what it was not asked for, or cannot do, is None."""

    age: float | None = None
    gender: str | None = None
    gender_score: float | None = None  # percent, as DeepFace reports it
    emotion: str | None = None
    emotion_scores: dict[str, float] | None = None
    race: str | None = None
    race_scores: dict[str, float] | None = None


class Analyzer(Protocol):
    name: str
    produces: frozenset[str]  # the actions it can do: a subset of age, gender, emotion, race

    def analyze(self, crops: list[Image], actions: Sequence[str]) -> list[FaceAttributes]:
        """One result per crop, in the order given."""
        ...
