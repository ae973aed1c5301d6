from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone

from ponton.accounts.models import ApiToken, User

TOKEN_PREFIX = "pt_"
TOKEN_USE_PRECISION = timedelta(minutes=1)


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_api_token(user: User, *, name: str = "") -> str:
    """Create a token for `user` and return it; it is shown once and stored only hashed."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, prefix=raw[:10], key_hash=hash_token(raw))
    return raw


def user_for_token(raw: str) -> User | None:
    token = ApiToken.objects.select_related("user").filter(key_hash=hash_token(raw)).first()
    if token is None or not token.user.is_active:
        return None
    now = timezone.now()
    # "Last used" to the minute: a tool re-reading after every push would otherwise
    # write to the database on each request.
    if token.last_used_at is None or now - token.last_used_at > TOKEN_USE_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
