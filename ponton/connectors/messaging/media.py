"""Files customers send from a phone: fetched from the provider by the channel's task, then
checked like every upload (size, type sniffed from the content, name) and stored."""

from __future__ import annotations

import mimetypes
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.conversations import attachments, lifecycle, realtime
from ponton.conversations.models import Message

MAX_FILES = attachments.MAX_FILES_PER_MESSAGE
_EXTENSIONS = {"image/jpeg": ".jpg", "text/plain": ".txt", "audio/ogg": ".ogg"}


class TooLarge(Exception):
    """The provider says (or the download shows) the file is over the limit."""


# Fetch one item: its bytes and the content type the provider gives. Raises TooLarge, or
# the channel's ProviderError for a retry.
Fetch = Callable[[dict[str, Any]], tuple[bytes, str]]


def file_name(item: dict[str, Any], content_type: str, position: int) -> str:
    if item.get("name"):
        return str(item["name"])
    kind = content_type.split(";")[0].strip().lower()
    extension = _EXTENSIONS.get(kind) or mimetypes.guess_extension(kind) or ""
    stem = kind.split("/")[0] if "/" in kind else "file"
    return f"{stem}-{position + 1}{extension}"


def store_fetched(message_id: int, items: list[dict[str, Any]], fetch: Fetch) -> None:
    """Fetch, check and store a message's files once (a task run again stores nothing
    twice); each file refused is named to the agents with the reason."""
    message = Message.objects.select_related("conversation").filter(pk=message_id).first()
    if message is None or message.attachments.exists():
        return
    checked, refused = [], []
    for position, item in enumerate(items):
        name = str(item.get("name") or "") or _("file %(n)s") % {"n": position + 1}
        if position >= MAX_FILES:
            refused.append(_("“%(name)s”: too many files in one message.") % {"name": name})
            continue
        try:
            data, content_type = fetch(item)
        except TooLarge:
            refused.append(
                _("“%(name)s” is too large; files may be up to %(limit)s MB.")
                % {"name": name, "limit": settings.PONTON_ATTACHMENT_MAX_BYTES // (1024 * 1024)}
            )
            continue
        upload = ContentFile(data, name=file_name(item, content_type, position))
        try:
            checked.append(attachments.check_upload(upload))
        except ValidationError as error:
            refused.append(" ".join(error.messages))
    conversation = message.conversation
    with transaction.atomic():
        attachments.store(message, checked)
        if refused:
            with override(conversation.language):
                lifecycle.system_note(
                    conversation,
                    _("Files the customer sent that were not stored: %(files)s")
                    % {"files": "; ".join(refused)},
                )
    realtime.announce(conversation, "message")
