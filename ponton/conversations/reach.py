"""How to reach a customer who is not signed in: an email address or a phone number they
wrote in the conversation, so an answer finds them after they close the page."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from ponton import phones

_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Reach:
    email: str = ""
    phone: str = ""  # E.164

    def __bool__(self) -> bool:
        return bool(self.email or self.phone)


def reach_in(text: str) -> Reach:
    """The first valid email address and phone number written in `text`."""
    email = ""
    for candidate in _EMAIL_CANDIDATE.findall(text):
        candidate = candidate.rstrip(".")
        try:
            validate_email(candidate)
        except ValidationError:
            continue
        email = candidate.lower()
        break
    return Reach(email=email, phone=phones.found_in(text))
