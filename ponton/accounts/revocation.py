"""Ending what a user had open when their rights change.

Logging out, a new password, deactivation, a new role or other teams close every
websocket the user holds, within the second (each consumer joins the user's
`sessions` group and closes on `session.revoked`); a page that reconnects is
checked afresh. Other browser sessions end through Django's session hash (a new
password) or the account being inactive; a new password also revokes the
user's API tokens.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.signals import user_logged_out
from django.db import transaction
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from ponton.accounts.models import ApiToken, User
from ponton.accounts.services import revoke

logger = logging.getLogger(__name__)

# The close code a revoked socket gets: the page signs in again before reconnecting.
REVOKED = 4401
WATCHED_FIELDS = ("password", "is_active", "role")
_pending: set[asyncio.Task[None]] = set()


def sessions_group(user_id: int) -> str:
    return f"sessions-{user_id}"


def close_sockets(user_id: int) -> None:
    """Close the user's open websockets once the current transaction commits."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        message = (sessions_group(user_id), {"type": "session.revoked"})
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                async_to_sync(layer.group_send)(*message)
            except Exception:  # the change itself is saved: say the close failed
                logger.error("Could not close the sockets of user %s", user_id, exc_info=True)
        else:  # called from a thread that runs an event loop: send from it
            task = loop.create_task(layer.group_send(*message))
            _pending.add(task)
            task.add_done_callback(_pending.discard)

    transaction.on_commit(send)


def revoke_tokens(user: User) -> int:
    return revoke(ApiToken.objects.filter(user=user), reason="password_changed")


@receiver(pre_save, sender=User)
def _remember_rights(sender: Any, instance: User, update_fields: Any = None, **kwargs: Any) -> None:
    if instance.pk is None or kwargs.get("raw"):
        return
    if update_fields is not None and not set(update_fields) & set(WATCHED_FIELDS):
        return
    instance._rights_before = (  # type: ignore[attr-defined]
        User.objects.filter(pk=instance.pk).values(*WATCHED_FIELDS).first()
    )


@receiver(post_save, sender=User)
def _revoke_on_change(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    before = getattr(instance, "_rights_before", None)
    instance._rights_before = None  # type: ignore[attr-defined]
    if created or not before:
        return
    if before["password"] != instance.password:
        revoke_tokens(instance)
    if any(before[field] != getattr(instance, field) for field in WATCHED_FIELDS):
        close_sockets(instance.pk)


@receiver(m2m_changed, sender=User.teams.through)
def _scope_changed(sender: Any, instance: Any, action: str, pk_set: Any, **kwargs: Any) -> None:
    if isinstance(instance, User):
        if action in ("post_add", "post_remove", "post_clear"):
            close_sockets(instance.pk)
    elif action == "pre_clear":  # a team emptied: its members, before they go
        for user_id in instance.members.values_list("pk", flat=True):
            close_sockets(user_id)
    elif action in ("post_add", "post_remove"):
        for user_id in pk_set or ():
            close_sockets(user_id)


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: User | None, **kwargs: Any) -> None:
    if user is not None:
        close_sockets(user.pk)
