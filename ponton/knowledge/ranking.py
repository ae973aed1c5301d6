"""Other readings of a search than the full-text engine's, fused into one ranking.

The help center ranks on shared words; a question phrased without the article's
words needs an understanding of its meaning, which lives in the assistant (the
sentence encoder, the model of the knowledge base). The assistant depends on the
knowledge base, not the other way round, so it registers its readings here when
it starts (`AssistantConfig.ready`), and search fuses whatever is registered. With
nothing registered, or with readings that have nothing to say (no encoder), search
is the full-text engine alone.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Protocol


class Reading(Protocol):
    """One way to rank articles for a question."""

    @property
    def name(self) -> str: ...

    @property
    def judges_scope(self) -> bool:
        """Whether this reading, now, answers only what the knowledge base is about and
        says nothing otherwise, rather than always naming the nearest articles. A question
        that shares no word with any article is answered only when such a reading answers
        it, and one whose every word matches only once corrected is declined when such a
        reading declines it."""
        ...

    def rank(self, query: str, *, lang: str, limit: int) -> list[int]:
        """Ids of articles that answer `query` in `lang`, best first, at most `limit`;
        empty when this reading has nothing to say. Visibility is not its business:
        search applies the reader's targeting to every candidate."""
        ...


@dataclass(frozen=True)
class Registered:
    reading: Reading
    weight: float


_readings: dict[str, Registered] = {}
_lock = threading.Lock()


def register(reading: Reading, *, weight: float = 1.0) -> None:
    """Fuse `reading` into every search from now on (one per name: registering again replaces)."""
    with _lock:
        _readings[reading.name] = Registered(reading, weight)


def registered() -> list[Registered]:
    with _lock:
        return list(_readings.values())
