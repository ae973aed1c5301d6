"""Phone numbers as people write them, as providers send them (E.164), and as we show them.

A number without its country code is read in the deployment's region (PONTON_PHONE_REGION).
What a provider sends is taken when it is a possible number; what a customer types must be
a valid one (a number that can really be called)."""

from __future__ import annotations

import phonenumbers
from django.conf import settings


def parse(raw: str) -> phonenumbers.PhoneNumber | None:
    """A number in any usual format, or None for anything else."""
    raw = (raw or "").strip()
    if not raw or len(raw) > 40:
        return None
    try:
        number = phonenumbers.parse(raw, settings.PONTON_PHONE_REGION)
    except phonenumbers.NumberParseException:
        return None
    return number if phonenumbers.is_possible_number(number) else None


def e164(raw: str) -> str:
    """ "+33612345678", or "" when `raw` is not a phone number (a SIP address, "anonymous")."""
    number = parse(raw)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""


def valid_e164(raw: str) -> str:
    """Like `e164`, for what a customer typed: "" unless the number can really be called
    ("06 12" is not a number)."""
    number = parse(raw)
    if number is None or not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def display(raw: str) -> str:
    """How people read it: national format at home ("01 99 00 12 34"), international abroad."""
    number = parse(raw)
    if number is None:
        return raw
    home = phonenumbers.country_code_for_region(settings.PONTON_PHONE_REGION)
    style = (
        phonenumbers.PhoneNumberFormat.NATIONAL
        if number.country_code == home
        else phonenumbers.PhoneNumberFormat.INTERNATIONAL
    )
    return phonenumbers.format_number(number, style)


def tel_uri(raw: str) -> str:
    number = parse(raw)
    return (
        phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.RFC3966) if number else ""
    )


def found_in(text: str) -> str:
    """The first phone number written in a sentence, in E.164, or ""."""
    for match in phonenumbers.PhoneNumberMatcher(text, settings.PONTON_PHONE_REGION):
        return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return ""
