"""How to reach a customer who is not signed in: an email address or a phone number they
wrote in the conversation, so an answer finds them after they close the page."""

from __future__ import annotations

import re
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

_EMAIL_CANDIDATE = re.compile(r"[^\s<>()\[\],;:\"']+@[^\s<>()\[\],;:\"']+\.[A-Za-z]{2,}")


@dataclass(frozen=True)
class Reach:
    email: str = ""
    phone: str = ""  # E.164

    def __bool__(self) -> bool:
        return bool(self.email or self.phone)


def default_region() -> str:
    """The country a number written without its international prefix belongs to."""
    return str(settings.PONTON_PHONE_REGION)


def parse_phone(value: str, region: str | None = None) -> str:
    """The number in E.164 (`+33612345678`), or "" when it is not a valid number."""
    try:
        number = phonenumbers.parse(value, region or default_region())
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def format_phone(e164: str) -> str:
    """A stored number as people write it: national in its own country, international else."""
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return e164
    region = phonenumbers.region_code_for_number(number)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if region == default_region()
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


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
    phone = ""
    for match in phonenumbers.PhoneNumberMatcher(text, default_region()):
        phone = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        break
    return Reach(email=email, phone=phone)
