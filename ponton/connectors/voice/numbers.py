"""A caller recognised by their number (the numbers themselves: `ponton.phones`)."""

from __future__ import annotations

from ponton.accounts.models import CustomerProfile, Role, User
from ponton.phones import e164


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
