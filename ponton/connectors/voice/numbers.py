"""Phone numbers as people write them, as providers send them (E.164), and as we show them."""

from __future__ import annotations

import phonenumbers
from django.conf import settings

from ponton.accounts.models import CustomerProfile, Role, User


def parse(raw: str) -> phonenumbers.PhoneNumber | None:
    """A number in any usual format; one without a country code is read in the
    deployment's region (PONTON_PHONE_REGION). None for anything else."""
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


def customer_for(raw: str) -> User | None:
    """The customer whose profile has this number, when exactly one has it (a number two
    customers share, a family's landline, identifies nobody).

    Profiles keep numbers as customers typed them, so candidates are narrowed in SQL by
    their last digit and compared in E.164."""
    wanted = e164(raw)
    if not wanted:
        return None
    found: set[int] = set()
    candidates = (
        CustomerProfile.objects.filter(user__role=Role.CUSTOMER, user__is_active=True)
        .exclude(phone="")
        .filter(phone__endswith=wanted[-1])
        .values_list("user_id", "phone")
    )
    for user_id, phone in candidates.iterator(chunk_size=2000):
        if e164(phone) == wanted:
            found.add(user_id)
            if len(found) > 1:
                return None
    return User.objects.filter(pk=found.pop()).first() if found else None
