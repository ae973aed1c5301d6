"""Files attached to messages: checked by what they contain, stored outside the web
root under random names, and handed out only to who may read the conversation.

They are written and read through Django's storage API only (the field's storage,
which is STORAGES["attachments"]: a local folder, or a private S3-compatible bucket
when PONTON_S3_BUCKET is set), never through a path, so both work the same.

The type is decided from the file's first bytes, never from its name or the
browser's word; the name must still agree with the content, so a file that
is both a PNG and an HTML page cannot be saved to the customer's disk as
`.html`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import File
from django.http import Http404
from django.utils.translation import gettext as _

from ponton.conversations.access import access_conversation
from ponton.conversations.models import Attachment, Message

MAX_FILES_PER_MESSAGE = 5
SNIFF_BYTES = 16
TEXT_CHUNK = 64 * 1024
# Bytes that never appear in plain text (tab, line feed, form feed and carriage return do).
_CONTROL = frozenset(range(0x00, 0x09)) | frozenset(range(0x0E, 0x20)) | {0x0B, 0x7F}


@dataclass(frozen=True)
class FileKind:
    content_type: str
    label: str
    extensions: tuple[str, ...]


PDF = FileKind("application/pdf", "PDF", (".pdf",))
PNG = FileKind("image/png", "PNG", (".png",))
JPEG = FileKind("image/jpeg", "JPEG", (".jpg", ".jpeg"))
GIF = FileKind("image/gif", "GIF", (".gif",))
WEBP = FileKind("image/webp", "WebP", (".webp",))
TEXT = FileKind("text/plain", "TXT", (".txt", ".log", ".csv"))
ALLOWED_KINDS = (PDF, PNG, JPEG, GIF, WEBP, TEXT)


def allowed_labels() -> str:
    return ", ".join(kind.label for kind in ALLOWED_KINDS)


def _sniff(head: bytes) -> FileKind | None:
    if head.startswith(b"%PDF-"):
        return PDF
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    return None


def _is_plain_text(upload: File) -> bool:
    upload.seek(0)
    while chunk := upload.read(TEXT_CHUNK):
        if not _CONTROL.isdisjoint(chunk):
            return False
    return True


@dataclass(frozen=True)
class CheckedUpload:
    """An uploaded file that passed the checks, with the type read from its bytes."""

    file: File
    name: str
    kind: FileKind
    size: int


def _display_name(raw: str) -> str:
    # Browsers on Windows may send a full path; keep the last part only.
    name = PurePath(raw.replace("\\", "/")).name.strip().replace("\x00", "")
    return name[-200:] or "file"


def check_upload(upload: File) -> CheckedUpload:
    """Refuse a file that is too large, empty, of a type we do not take, or whose
    name does not match what it contains; messages say what to do instead."""
    name = _display_name(upload.name or "")
    size = upload.size or 0
    limit = settings.PONTON_ATTACHMENT_MAX_BYTES
    if size > limit:
        raise ValidationError(
            _("“%(name)s” is too large (%(size)s); files may be up to %(limit)s.")
            % {"name": name, "size": _megabytes(size), "limit": _megabytes(limit)},
            code="too_large",
        )
    if size == 0:
        raise ValidationError(_("“%(name)s” is empty.") % {"name": name}, code="empty")
    upload.seek(0)
    kind = _sniff(upload.read(SNIFF_BYTES))
    if kind is None and _is_plain_text(upload):
        kind = TEXT
    upload.seek(0)
    if kind is None:
        raise ValidationError(
            _("“%(name)s” is not a file type we accept. Send %(types)s files.")
            % {"name": name, "types": allowed_labels()},
            code="type",
        )
    extension = PurePath(name).suffix.lower()
    if extension not in kind.extensions:
        raise ValidationError(
            _(
                "“%(name)s” contains a %(kind)s file but its name does not end in %(extensions)s. "
                "Rename it and send it again."
            )
            % {"name": name, "kind": kind.label, "extensions": " / ".join(kind.extensions)},
            code="name",
        )
    return CheckedUpload(file=upload, name=name, kind=kind, size=size)


def check_uploads(uploads: list[Any]) -> list[CheckedUpload]:
    """Check every file, reporting all problems at once."""
    if len(uploads) > MAX_FILES_PER_MESSAGE:
        raise ValidationError(
            _("You can attach up to %(n)s files to one message.") % {"n": MAX_FILES_PER_MESSAGE},
            code="too_many",
        )
    checked, errors = [], []
    for upload in uploads:
        try:
            checked.append(check_upload(upload))
        except ValidationError as exc:
            errors.extend(exc.error_list)
    if errors:
        raise ValidationError(errors)
    return checked


def _megabytes(size: int) -> str:
    return _("%(n)s MB") % {"n": f"{size / (1024 * 1024):.1f}".removesuffix(".0")}


def store(message: Message, uploads: list[CheckedUpload]) -> list[Attachment]:
    """Write the files under random names and link them to the message, in the
    caller's transaction; if this fails, the files already written are removed."""
    stored: list[Attachment] = []
    try:
        for upload in uploads:
            attachment = Attachment(
                message=message,
                name=upload.name,
                content_type=upload.kind.content_type,
                size=upload.size,
            )
            attachment.file.save(
                f"{uuid.uuid4().hex}{upload.kind.extensions[0]}", upload.file, save=False
            )
            attachment.save()
            stored.append(attachment)
    except BaseException:
        for attachment in stored:
            attachment.file.delete(save=False)
        raise
    return stored


def access_attachment(user: Any, attachment_id: int) -> Attachment:
    """The file if `user` may read it, else 404 (the same for a missing file): the
    customer whose conversation it belongs to (never from an agents' note), or a
    staff member who may work on that conversation."""
    attachment = (
        Attachment.objects.select_related("message__conversation").filter(pk=attachment_id).first()
    )
    if attachment is None or not getattr(user, "is_authenticated", False):
        raise Http404
    conversation = attachment.message.conversation
    if user.is_agent:
        access_conversation(user, conversation.pk)
        return attachment
    if user.is_customer and conversation.customer_id == user.pk and not attachment.message.internal:
        return attachment
    raise Http404
