"""How our mail names its conversation, so a reply finds its way back.

Every mail we send carries a Message-ID of ours, `ponton.<conversation>.<message>.<sig>@<domain>`,
and a Reply-To plus-address, `support+c<conversation>.<sig>@<domain>`; `<sig>` is an HMAC of
the numbers under the site's secret, so nobody can make up an id that lands in someone
else's conversation. A reply is threaded by the ids it names (In-Reply-To, References)
or the address it was sent to, never by its subject.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

from django.conf import settings

_SIGNATURE_LENGTH = 16
_OUR_ID = re.compile(r"^ponton\.(\d+)\.(\d+)\.([0-9a-f]{16})@")
_PLUS_TOKEN = re.compile(r"^[^+@]+\+c(\d+)\.([0-9a-f]{16})@")


def _signature(*parts: int) -> str:
    key = hashlib.sha256(f"ponton.email:{settings.SECRET_KEY}".encode()).digest()
    message = ".".join(str(p) for p in parts).encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:_SIGNATURE_LENGTH]


def _valid(signature: str, *parts: int) -> bool:
    return hmac.compare_digest(signature, _signature(*parts))


def support_domain() -> str:
    return settings.PONTON_SUPPORT_EMAIL.rpartition("@")[2]


def message_id_for(conversation_id: int, message_id: int) -> str:
    """Our Message-ID for a message we send (without angle brackets): the same on every retry."""
    sig = _signature(conversation_id, message_id)
    return f"ponton.{conversation_id}.{message_id}.{sig}@{support_domain()}"


def reply_address(conversation_id: int) -> str:
    """The support address with the conversation's token, for Reply-To."""
    local, _at, domain = settings.PONTON_SUPPORT_EMAIL.partition("@")
    return f"{local}+c{conversation_id}.{_signature(conversation_id)}@{domain}"


def conversation_named_by(ids: Iterable[str], recipients: Iterable[str]) -> int | None:
    """The conversation one of our signed ids or reply addresses names, if any."""
    for value in ids:
        match = _OUR_ID.match(value)
        if match and _valid(match[3], int(match[1]), int(match[2])):
            return int(match[1])
    for address in recipients:
        match = _PLUS_TOKEN.match(address.lower())
        if match and _valid(match[2], int(match[1])):
            return int(match[1])
    return None


def is_ours(address: str) -> bool:
    """The support address itself, or one of its plus-addresses: mail from it is a loop or a
    forgery, never a customer. (Only the address: the support address may well be on a
    provider its customers use too.)"""
    local, _at, domain = address.lower().rpartition("@")
    own_local, _at, own_domain = settings.PONTON_SUPPORT_EMAIL.lower().rpartition("@")
    return domain == own_domain and local.partition("+")[0] == own_local
