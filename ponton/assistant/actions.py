"""Selfcare actions: things the assistant can do for the customer, not just explain.

Each action is backed by the company's own systems, reached over HTTP through
one connector with a timeout and clear failures. A completed action counts as
a resolution in the journey log. Some actions take two steps: the first call
offers choices (appointment slots), the customer picks one, the second books it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import httpx
from django.conf import settings
from django.urls import reverse
from django.utils import formats
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from ponton.conversations.models import Conversation

logger = logging.getLogger(__name__)


class ConnectorError(Exception):
    """The company's system could not do it; the message is safe to show the customer."""


def call_connector(operation: str, payload: dict[str, Any]) -> dict[str, Any]:
    url = settings.PONTON_CONNECTOR_URL.rstrip("/") + "/" + operation
    try:
        response = httpx.post(
            url,
            json=payload,
            headers=(
                {"Authorization": f"Bearer {settings.PONTON_CONNECTOR_TOKEN}"}
                if settings.PONTON_CONNECTOR_TOKEN
                else {}
            ),
            timeout=settings.PONTON_CONNECTOR_TIMEOUT,
        )
    except httpx.TimeoutException as exc:
        logger.warning("Connector %s timed out", url)
        raise ConnectorError(_("Our systems did not answer in time.")) from exc
    except httpx.HTTPError as exc:
        logger.warning("Connector %s unreachable: %s", url, exc)
        raise ConnectorError(_("Our systems cannot be reached right now.")) from exc
    if response.status_code >= 400:
        # The details are for the logs; the customer gets a plain sentence in their language.
        logger.warning(
            "Connector %s answered %s: %s", url, response.status_code, response.text[:300]
        )
        if response.status_code == 409:
            raise ConnectorError(_("What you chose is no longer available."))
        raise ConnectorError(_("Our systems could not do it."))
    try:
        data = response.json()
    except ValueError as exc:
        raise ConnectorError(_("Our systems gave an answer I cannot read.")) from exc
    if not isinstance(data, dict):
        raise ConnectorError(_("Our systems gave an answer I cannot read."))
    return data


@dataclass
class Outcome:
    ok: bool
    message: str
    completes_need: bool = False
    choices: list[dict[str, str]] = field(default_factory=list)


@dataclass(frozen=True)
class SelfcareAction:
    name: str
    label_fr: str
    label_en: str
    articles: tuple[str, ...]  # offered with the answers from these articles (by key)
    perform: Callable[[Conversation, str], Outcome]
    needs_customer: bool = True

    def label(self) -> str:
        return self.label_en if get_language() == "en" else self.label_fr


def _customer_number(conversation: Conversation) -> str:
    profile = getattr(conversation.customer, "profile", None)
    return profile.customer_number if profile else ""


def _date(value: str) -> str:
    parsed = parse_date(value)
    return formats.date_format(parsed, "DATE_FORMAT") if parsed else value


def _send_password_reset(conversation: Conversation, _arg: str) -> Outcome:
    email = conversation.email or getattr(conversation.customer, "email", "")
    if not email:
        # Someone who forgot their password cannot sign in first: the reset page asks for the
        # account's address and works without an account session.
        return Outcome(
            False,
            _(
                "I need the email address of your account: the reset page asks for it and "
                "sends the link, no need to sign in. A person can also do it with you."
            ),
            choices=[
                {
                    "id": "password_reset_page",
                    "label": _("Get a reset link by email"),
                    "url": reverse("accounts:password_reset"),
                }
            ],
        )
    data = call_connector("password-reset", {"email": email})
    return Outcome(
        True,
        _("Done: a link to choose a new password was sent to %(to)s. It is valid for one hour.")
        % {"to": data.get("sent_to", email)},
        completes_need=True,
    )


def _latest_invoice(conversation: Conversation, _arg: str) -> Outcome:
    data = call_connector("latest-invoice", {"customer_number": _customer_number(conversation)})
    return Outcome(
        True,
        _(
            "Your latest invoice, %(number)s of %(date)s: %(amount)s € (%(status)s). Download it here: %(url)s"
        )
        % {
            "number": data["number"],
            "date": _date(data["date"]),
            "amount": formats.number_format(Decimal(str(data["amount"])), 2),
            "status": _("paid") if data.get("status") == "paid" else _("to be paid"),
            "url": data["pdf"],
        },
        completes_need=True,
    )


def _track_order(conversation: Conversation, _arg: str) -> Outcome:
    data = call_connector("track-order", {"customer_number": _customer_number(conversation)})
    if not data.get("order"):
        return Outcome(True, _("I see no order in progress on your account."), completes_need=True)
    return Outcome(
        True,
        _("Order %(order)s: %(status)s with %(carrier)s, expected %(eta)s. Tracking: %(url)s")
        % {
            "order": data["order"],
            "status": data.get("status_label", data.get("status", "")),
            "carrier": data.get("carrier", ""),
            "eta": _date(data.get("eta", "")),
            "url": data.get("tracking_url", ""),
        },
        completes_need=True,
    )


def _book_appointment(conversation: Conversation, slot: str) -> Outcome:
    number = _customer_number(conversation)
    if not slot:
        data = call_connector("appointment-slots", {"customer_number": number})
        slots = [s for s in data.get("slots", []) if parse_datetime(s)][:3]
        if not slots:
            return Outcome(
                False, _("No slot is free in the next days. A person can find one with you.")
            )
        return Outcome(
            True,
            _("Here are the next free slots for a technician visit. Which one suits you?"),
            choices=[
                {
                    "id": f"do:book_appointment:{s}",
                    "label": formats.date_format(parse_datetime(s) or s, "l j F, H:i"),
                }
                for s in slots
            ],
        )
    data = call_connector("book-appointment", {"customer_number": number, "slot": slot})
    when = parse_datetime(data["confirmed"])
    return Outcome(
        True,
        _(
            "Booked: a technician comes on %(when)s (reference %(ref)s). You can move it until 24 hours before."
        )
        % {
            "when": formats.date_format(when, "l j F, H:i") if when else data["confirmed"],
            "ref": data["reference"],
        },
        completes_need=True,
    )


REGISTRY: dict[str, SelfcareAction] = {
    action.name: action
    for action in (
        SelfcareAction(
            "send_password_reset",
            "M'envoyer un lien de réinitialisation",
            "Send me a reset link",
            ("forgotten-password", "locked-account", "login-error-e403"),
            _send_password_reset,
            needs_customer=False,
        ),
        SelfcareAction(
            "latest_invoice",
            "Voir ma dernière facture",
            "Show my latest invoice",
            ("download-invoice", "understand-invoice", "unexpected-charges"),
            _latest_invoice,
        ),
        SelfcareAction(
            "track_order",
            "Suivre ma commande",
            "Track my order",
            ("track-order", "delivery-times"),
            _track_order,
        ),
        SelfcareAction(
            "book_appointment",
            "Prendre rendez-vous",
            "Book an appointment",
            ("book-technician", "reschedule-appointment"),
            _book_appointment,
        ),
    )
}


def for_article(article_key: str) -> list[SelfcareAction]:
    return [a for a in REGISTRY.values() if article_key in a.articles]


def run(choice: str, *, conversation: Conversation) -> Outcome:
    """Run `name` or `name:argument` (a choice offered by a first step) for the conversation's customer."""
    name, _sep, argument = choice.partition(":")
    action = REGISTRY.get(name)
    if action is None:
        return Outcome(False, _("I cannot do that."))
    if action.needs_customer and conversation.customer is None:
        return Outcome(
            False,
            _("Sign in to your account first so I can do this for you, or a person can help."),
        )
    try:
        return action.perform(conversation, argument)
    except ConnectorError as exc:
        return Outcome(False, _("I couldn't do it: %(why)s A person can take over.") % {"why": exc})
    except (KeyError, TypeError, ValueError, InvalidOperation) as exc:
        logger.warning("Action %s got an unexpected answer: %s", name, exc)
        return Outcome(
            False,
            _("I couldn't do it: our systems gave an unexpected answer. A person can take over."),
        )
