from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from ponton.accounts.models import ApiToken, TokenScope, User, default_scopes
from ponton.audit.models import Action
from ponton.audit.services import record

TOKEN_PREFIX = "pt_"
TOKEN_USE_PRECISION = timedelta(minutes=1)


class UnknownScope(ValueError):
    pass


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(
    user: User,
    *,
    name: str = "",
    scopes: Iterable[str] | None = None,
    days: int | None = None,
) -> str:
    """Create a token for `user` and return it; it is shown once and stored only hashed.

    It lives PONTON_API_TOKEN_DAYS unless `days` says otherwise (0: no expiry)."""
    wanted = list(dict.fromkeys(scopes)) if scopes is not None else default_scopes()
    unknown = set(wanted) - set(TokenScope.values)
    if unknown or not wanted:
        raise UnknownScope(", ".join(sorted(unknown)) or "none")
    days = settings.PONTON_API_TOKEN_DAYS if days is None else days
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name,
        prefix=raw[:10],
        key_hash=hash_token(raw),
        scopes=wanted,
        expires_at=timezone.now() + timedelta(days=days) if days else None,
    )
    record(
        Action.TOKEN_CREATED,
        target=token,
        owner=user.pk,
        prefix=token.prefix,
        scopes=wanted,
        expires_at=token.expires_at,
    )
    return raw


def token_for(raw: str) -> ApiToken | None:
    """The live token `raw` names: not revoked, not expired, its owner active."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_token(raw), revoked_at__isnull=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None or not token.user.is_active:
        return None
    # "Last used" to the minute: a tool re-reading after every push would otherwise
    # write to the database on each request.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def user_for_token(raw: str) -> User | None:
    token = token_for(raw)
    return token.user if token is not None else None


def revoke_api_tokens(*, user: User | None = None, prefix: str = "", name: str = "") -> int:
    """Revoke the live tokens matching a user, a prefix (as shown) and/or a name."""
    tokens = ApiToken.objects.filter(revoked_at__isnull=True)
    if user is not None:
        tokens = tokens.filter(user=user)
    if prefix:
        tokens = tokens.filter(prefix__startswith=prefix.rstrip("…."))
    if name:
        tokens = tokens.filter(name=name)
    return revoke(tokens, reason="requested")


def revoke(tokens: QuerySet[ApiToken], *, reason: str) -> int:
    """Revoke the live tokens among `tokens`, each recorded in the audit log."""
    live = list(tokens.filter(revoked_at__isnull=True).values("pk", "prefix", "user_id"))
    ApiToken.objects.filter(pk__in=[t["pk"] for t in live]).update(revoked_at=timezone.now())
    for token in live:
        record(
            Action.TOKEN_REVOKED,
            target=("accounts.apitoken", token["pk"]),
            owner=token["user_id"],
            prefix=token["prefix"],
            reason=reason,
        )
    return len(live)
