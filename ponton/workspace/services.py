"""The workspace's actions: tags, notes that name colleagues, read markers, and
the same action on many conversations at once. Conversation state still changes
only through `conversations.lifecycle`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from ponton.accounts.models import STAFF_ROLES, User
from ponton.conversations import access, lifecycle, realtime
from ponton.conversations.models import Conversation, Message
from ponton.workspace.models import Mention, ReadMarker, Tag

# @username: Django usernames are letters, digits and @.+-_; a trailing dot or comma
# is punctuation of the sentence, not part of the name.
MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+-])")
MAX_TAG_LENGTH = 50


# Tags -------------------------------------------------------------------------------------


def tag_named(name: str) -> Tag:
    """The tag agents mean by `name` ("Litige", "litige " and "LITIGE" are one tag),
    created the first time."""
    name = " ".join((name or "").split())[:MAX_TAG_LENGTH]
    slug = slugify(name)
    if not slug:
        raise ValidationError({"tag": _("A tag needs at least one letter or digit.")})
    tag, _created = Tag.objects.get_or_create(slug=slug, defaults={"name": name})
    return tag


def add_tag(conversation: Conversation, name: str) -> Tag:
    tag = tag_named(name)
    tag.conversations.add(conversation)
    realtime.announce(conversation, "tags")
    return tag


def remove_tag(conversation: Conversation, tag: Tag) -> None:
    tag.conversations.remove(conversation)
    realtime.announce(conversation, "tags")


# Notes and mentions ---------------------------------------------------------------------------


@dataclass
class Note:
    message: Message
    notified: list[User] = field(default_factory=list)
    # Named but not told: unknown, not staff, or unable to see this conversation.
    not_notified: list[str] = field(default_factory=list)


def mentioned_usernames(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for name in MENTION.findall(text):
        seen.setdefault(name.lower(), None)
    return list(seen)


@transaction.atomic
def add_note(conversation: Conversation, *, agent: User, text: str) -> Note:
    """An internal note; each colleague it names (@username) who may see the
    conversation is told at once and finds it in their workspace."""
    message = lifecycle.reply_as_agent(conversation, agent=agent, text=text, internal=True)
    note = Note(message=message)
    names = mentioned_usernames(message.text)
    if not names:
        return note
    staff = {
        user.username.lower(): user
        for user in User.objects.filter(
            role__in=STAFF_ROLES, is_active=True, username__iregex=_any_of(names)
        )
    }
    for name in names:
        user = staff.get(name)
        if user is None or user.pk == agent.pk:
            if user is None:
                note.not_notified.append(name)
            continue
        if not access.visible_conversations(user).filter(pk=conversation.pk).exists():
            note.not_notified.append(name)
            continue
        Mention.objects.create(message=message, conversation=conversation, mentioned=user, by=agent)
        note.notified.append(user)
    realtime.announce_to([u.pk for u in note.notified], conversation, "mention")
    return note


def _any_of(names: Iterable[str]) -> str:
    return "^(" + "|".join(re.escape(name) for name in names) + ")$"


def unseen_mentions(user: Any) -> int:
    return Mention.objects.filter(mentioned=user, seen_at__isnull=True).count()


def recent_mentions(user: Any, *, limit: int = 30) -> list[Mention]:
    return list(
        Mention.objects.filter(mentioned=user)
        .select_related("by", "conversation__customer", "message")
        .order_by("-id")[:limit]
    )


# Reading ------------------------------------------------------------------------------------------


def mark_read(user: Any, conversation: Conversation, *, up_to: int | None = None) -> None:
    """The agent has seen `conversation` up to message `up_to` (the last one when not
    given): it is no longer unread for them, nor are the notes naming them in it.

    Called on every view, so it writes only when something changed; and it is best
    effort: when SQLite's table is busy with another request, a row stays bold until
    the next view rather than the page failing."""
    if up_to is None:
        up_to = conversation.messages.aggregate(last=Max("id"))["last"] or 0
    seen = (
        ReadMarker.objects.filter(user=user, conversation=conversation)
        .values_list("last_message_id", flat=True)
        .first()
    )
    mentions = Mention.objects.filter(
        mentioned=user, conversation=conversation, seen_at__isnull=True, message_id__lte=up_to
    )
    unseen_mentions = mentions.exists()
    if (seen is not None and seen >= up_to) and not unseen_mentions:
        return
    try:
        with transaction.atomic():
            if seen is None:
                ReadMarker.objects.get_or_create(
                    user=user, conversation=conversation, defaults={"last_message_id": up_to}
                )
            elif seen < up_to:
                ReadMarker.objects.filter(
                    user=user, conversation=conversation, last_message_id__lt=up_to
                ).update(last_message_id=up_to, read_at=timezone.now())
            if unseen_mentions:
                mentions.update(seen_at=timezone.now())
    except OperationalError as exc:
        if "locked" not in str(exc):  # only SQLite's "database table is locked"
            raise


# Many at once -----------------------------------------------------------------------------------


@dataclass
class BulkResult:
    done: int = 0
    errors: list[str] = field(default_factory=list)


def bulk_apply(
    user: Any,
    ids: Iterable[int],
    *,
    assign_to: User | None = None,
    unassign: bool = False,
    status: str = "",
    tag: str = "",
) -> BulkResult:
    """Assign, set the status of and/or tag each chosen conversation the agent may
    see, each through the same action as one by one; one that refuses (a closed
    conversation cannot be assigned) is reported and does not stop the others."""
    if not (assign_to or unassign or status or tag):
        raise ValidationError(_("Choose what to do with the selected conversations."))
    result = BulkResult()
    chosen = access.visible_conversations(user).filter(pk__in=list(ids)).order_by("pk")
    the_tag = tag_named(tag) if tag else None
    for conversation in chosen:
        try:
            with transaction.atomic():
                if assign_to is not None or unassign:
                    lifecycle.assign(conversation, to=assign_to, by=user)
                if status:
                    lifecycle.set_status(conversation, status=status, by=user)
                if the_tag is not None:
                    the_tag.conversations.add(conversation)
                    realtime.announce(conversation, "tags")
        except ValidationError as exc:
            result.errors.append(f"#{conversation.pk}: {' '.join(exc.messages)}")
        else:
            result.done += 1
    return result
