"""Customers as another system provisions them (a CRM over the API): create, update, find.

A customer made here has no password: they sign in with a one-time link sent to their
address, as a customer first known by their email does."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ponton import phones
from ponton.accounts.models import Channel, CustomerProfile, Language, Role, User

# Fields of the profile a CRM may set, beside the person's name, address and language.
PROFILE_FIELDS = (
    "phone",
    "customer_number",
    "plan",
    "modules",
    "segment",
    "prefers_person",
    "preferred_channel",
)


@dataclass
class CustomerFields:
    email: str
    first_name: str = ""
    last_name: str = ""
    language: str = Language.FR
    phone: str = ""
    customer_number: str = ""
    plan: str = ""
    modules: list[str] = field(default_factory=list)
    segment: str = ""
    prefers_person: bool = False
    preferred_channel: str = Channel.CHAT


def _conflict(message: str) -> ValidationError:
    return ValidationError({"email": ValidationError(message, code="conflict")})


def _clean(values: dict[str, Any]) -> dict[str, Any]:
    """The values as stored, or one ValidationError naming each wrong field."""
    errors: dict[str, str] = {}
    cleaned = dict(values)
    if "email" in values:
        email = BaseUserManager.normalize_email((values["email"] or "").strip()).lower()
        try:
            validate_email(email)
        except ValidationError:
            errors["email"] = _("Enter a valid email address.")
        cleaned["email"] = email
    if "language" in values and values["language"] not in Language.values:
        errors["language"] = _("Choose French or English.")
    if "preferred_channel" in values and values["preferred_channel"] not in Channel.values:
        errors["preferred_channel"] = _("Choose one of the channels offered.")
    if values.get("phone"):
        number = phones.valid_e164(values["phone"])
        if not number:
            errors["phone"] = _("Enter a phone number we can call.")
        cleaned["phone"] = number
    if "modules" in values:
        cleaned["modules"] = sorted({m.strip() for m in values["modules"] if m.strip()})
    if errors:
        raise ValidationError(errors)
    return cleaned


def _email_taken(email: str, *, exclude: int | None = None) -> bool:
    others = User.objects.filter(email__iexact=email)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    return others.exists()


@transaction.atomic
def provision_customer(data: CustomerFields) -> User:
    """A new customer with their profile; an address already known is a conflict (find
    the customer by it, then update)."""
    values = _clean({f.name: getattr(data, f.name) for f in fields(data)})
    if _email_taken(values["email"]):
        raise _conflict(_("A customer or staff member already has this email address."))
    customer = User(
        username=values["email"][:150],
        email=values["email"],
        first_name=values["first_name"].strip()[:150],
        last_name=values["last_name"].strip()[:150],
        language=values["language"],
        role=Role.CUSTOMER,
    )
    customer.set_unusable_password()
    if User.objects.filter(username=customer.username).exists():
        raise _conflict(_("A customer or staff member already has this email address."))
    customer.save()
    CustomerProfile.objects.create(user=customer, **{k: values[k] for k in PROFILE_FIELDS})
    return customer


@transaction.atomic
def update_customer(customer: User, changes: dict[str, Any]) -> User:
    """Change some fields (the others stay); a customer's address may not become another's."""
    unknown = set(changes) - {f.name for f in fields(CustomerFields)}
    if unknown:
        raise ValueError(f"Not customer fields: {sorted(unknown)}")
    values = _clean(changes)
    locked = User.objects.select_for_update().get(pk=customer.pk)
    if "email" in values and _email_taken(values["email"], exclude=locked.pk):
        raise _conflict(_("A customer or staff member already has this email address."))
    for name in ("email", "first_name", "last_name", "language"):
        if name in values:
            setattr(locked, name, values[name].strip()[:150] if name != "email" else values[name])
    locked.save()
    profile, _created = CustomerProfile.objects.select_for_update().get_or_create(user=locked)
    for name in PROFILE_FIELDS:
        if name in values:
            setattr(profile, name, values[name])
    profile.save()
    return locked


def find_customers(*, email: str = "", phone: str = "") -> QuerySet[User]:
    """Customers with this address (any case) and/or this number (compared in E.164, as
    people write numbers in many ways)."""
    found = User.objects.filter(role=Role.CUSTOMER, is_active=True).select_related("profile")
    if email:
        found = found.filter(email__iexact=email.strip())
    if phone:
        wanted = phones.e164(phone)
        if not wanted:
            return found.none()
        candidates = CustomerProfile.objects.exclude(phone="").filter(
            phone__endswith=wanted[-1], user__in=found
        )
        ids = [p.user_id for p in candidates if phones.e164(p.phone) == wanted]
        found = found.filter(pk__in=ids)
    return found.order_by("pk")
