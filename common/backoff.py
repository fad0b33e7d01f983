"""Capped exponential backoff with jitter, for Redis reconnects and camera reconnects."""
from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Backoff:
    """Delay `base * 2**attempt`, capped, with "equal jitter": uniform in [delay/2, delay].

    Jitter keeps a fleet of workers that lost the same Redis from reconnecting in lockstep.
    """

    base: float = 0.5
    cap: float = 30.0
    attempt: int = field(default=0, init=False)

    def next_delay(self) -> float:
        delay = min(self.cap, self.base * (2 ** min(self.attempt, 30)))
        self.attempt += 1
        return random.uniform(delay / 2, delay)

    def reset(self) -> None:
        self.attempt = 0
