"""The support phone line as customers see it: the number, the real opening hours and the
wait now, from the same availability and staffing every channel promises from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings

from ponton import phones
from ponton.conversations.presence import Staffing, staffing


@dataclass(frozen=True)
class SupportLine:
    number: str  # as people read it
    e164: str
    tel: str  # the tel: link
    now: Staffing | None  # None: the number alone (see `support_line`)

    @property
    def open_now(self) -> bool:
        return bool(self.now and self.now.open_now)

    @property
    def next_opening(self) -> datetime | None:
        return self.now.next_opening if self.now else None

    @property
    def expected_wait_minutes(self) -> int | None:
        return self.now.expected_wait_minutes if self.now else None

    @property
    def nobody_available(self) -> bool:
        """Nobody can take a call now: offer a callback instead of a wait."""
        return bool(self.now and not self.now.agents_online)


def configured() -> bool:
    return bool(phones.e164(settings.PONTON_SUPPORT_PHONE))


def support_line(now: datetime | None = None, *, live: bool = True) -> SupportLine | None:
    """The line to show, or None when no number is configured (nothing phone-related shows).
    Not `live`: the number alone, without reading hours and staffing from the database."""
    raw = settings.PONTON_SUPPORT_PHONE
    e164 = phones.e164(raw)
    if not e164:
        return None
    return SupportLine(
        number=phones.display(e164),
        e164=e164,
        tel=phones.tel_uri(e164),
        now=staffing(now) if live else None,
    )
