"""One raw RFC 5322 mail in, the facts the email channel needs out; no database.

Everything here is a pure function of the bytes, so ``ponton receive-email``, the IMAP poller
and the tests share one reading of a mail, and the same mail read twice gives the same result
(its synthetic Message-ID included).

Headers are read from their raw values and decoded here rather than through ``policy.default``'s
header objects: those raise ``ValueError`` on an address whose encoded display name decodes to a
line break, and such a mail is exactly one we must read and flag, not lose.

Classification, in this order (the first that matches wins):

- ``bounce``: a ``multipart/report; report-type=delivery-status`` (RFC 3464: Postfix, Exim,
  Exchange and Gmail all send one), a sender whose local part is mailer-daemon or postmaster,
  or a null Return-Path ``<>`` with ``X-Failed-Recipients`` (Exim, Gmail).
- ``auto_reply``: ``Auto-Submitted`` other than ``no`` (RFC 3834; Gmail's vacation responder,
  Exchange's out-of-office and Postfix's vacation send it), ``X-Autoreply``, ``X-Autorespond``,
  ``Precedence: auto_reply``, a read receipt (``report-type=disposition-notification``), and
  Microsoft's ``X-Auto-Response-Suppress`` only together with an out-of-office subject. That
  header asks the *receiver* not to auto-answer (MS-OXCMAIL 2.2.3.2.14) and notification
  systems set it on ordinary mail, so alone it proves nothing; nor does a subject alone.
- ``bulk``: ``Precedence: bulk|list|junk``, ``List-Id`` (RFC 2919) or ``List-Unsubscribe``
  (RFC 2369). A person writing from a mail client never sends a ``List-Unsubscribe``, while
  Gmail and Yahoo require one from every bulk sender since 2024, so it is the most reliable
  mark of a newsletter. The cost: a customer writing through a Google Group address carries
  ``List-Id`` and is classified ``bulk``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import mimetypes
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.header import decode_header
from email.message import EmailMessage, Message
from email.parser import BytesHeaderParser, BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from ponton.connectors.email.html_text import html_to_text
from ponton.connectors.email.quotes import clean_text


class UnparseableEmail(ValueError):
    """The bytes are not a mail we can read: empty, garbage, or without a usable From."""


@dataclass(frozen=True)
class ParsedAttachment:
    """One file of a mail; ``filename`` is safe to show and to store under."""

    filename: str
    content_type: str
    data: bytes
    inline: bool
    content_id: str


@dataclass(frozen=True)
class ParsedEmail:
    """What a mail says, decoded and checked; see the module docstring for ``kind``."""

    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: str
    to: tuple[str, ...]
    recipients: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str
    clean_text: str
    attachments: tuple[ParsedAttachment, ...]
    kind: str
    kind_reason: str
    bounced_recipients: tuple[str, ...]
    bounced_message_id: str
    header_anomalies: tuple[str, ...]
    language: str


# Subject prefixes that replies and forwards add, in the languages our customers' clients use.
_PREFIX = (
    r"\s*(?:"
    r"re|rép|réf\.?|ref|tr|fw|fwd|enc|aw|wg|sv|vs|antw|doorst|rif"
    r")\s*(?:\[\d+\]|\(\d+\))?\s*[:\uff1a]"
)
# However many in a row ("RE: TR: Re:"), in one pass.
_SUBJECT_PREFIXES = re.compile(f"^(?:{_PREFIX})+\\s*", re.IGNORECASE)
_FORWARD_PREFIX = re.compile(r"^\s*(?:tr|fw|fwd|wg|enc)\s*[:\uff1a]", re.IGNORECASE)
_OUT_OF_OFFICE_SUBJECT = re.compile(
    r"(?:réponse automatique|absence du bureau|absent du bureau|automatic reply|auto.?reply"
    r"|out of (?:the )?office|abwesenheitsnotiz|automatische antwort|autosvar)",
    re.IGNORECASE,
)
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_ADDR_SPEC = re.compile(
    r"^[\w.!#$%&'*+/=?^`{|}~-]+@(?:[^\W_](?:[\w-]{0,61}[^\W_])?\.)+(?:[^\W\d_]{2,63}|xn--[\w-]+)$"
)
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_FILENAME_FORBIDDEN = re.compile(r'[\x00-\x1f\x7f<>:"|?*]')
# Headers a relay adds on the way in: a mail delivered twice differs only in these.
_TRACE_HEADERS = frozenset(
    {
        "received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "x-received",
        "authentication-results",
        "arc-seal",
        "arc-message-signature",
        "arc-authentication-results",
        "received-spf",
        "x-spam-status",
        "x-spam-score",
        "x-spam-flag",
        "x-spam-checker-version",
    }
)
_RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_DAEMON_LOCAL_PARTS = frozenset({"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster"})
# Frequent words of each language, for a guess when the mail does not declare its language.
# fmt: off
_FRENCH_WORDS = frozenset({
    "le", "la", "les", "des", "du", "et", "est", "je", "vous", "nous", "pas", "une", "que",
    "qui", "dans", "ce", "cette", "mon", "ma", "mes", "sur", "avec", "bonjour", "merci",
    "cordialement", "votre", "vos", "ne", "au", "aux", "il", "elle", "été", "suis", "avez",
    "mais", "ou", "où", "depuis", "toujours", "encore", "aussi", "très",
})
_ENGLISH_WORDS = frozenset({
    "the", "and", "is", "you", "we", "not", "for", "that", "which", "this", "my", "with",
    "hello", "thanks", "regards", "your", "to", "of", "it", "please", "have", "has", "been",
    "am", "are", "but", "or", "since", "still", "also", "very", "can", "could", "would",
})
# fmt: on


def parse(raw: bytes) -> ParsedEmail:
    """Read one raw mail as an MTA pipes it or IMAP fetches it.

    Raises UnparseableEmail, and nothing else, for bytes that cannot be read: the command
    turns it into exit code 65 rather than a crash the MTA would retry forever.
    """
    if not raw.strip():
        raise UnparseableEmail("empty message")
    try:
        return _bounded(_parse(raw))
    except UnparseableEmail:
        raise
    except (IndexError, KeyError, TypeError, AttributeError, ValueError) as error:
        # The stdlib's structured header parsers still trip on some malformed parameters.
        raise UnparseableEmail(f"malformed structure: {error!r}") from error
    except RecursionError as error:  # thousands of nested parts
        raise UnparseableEmail("MIME parts nested too deep") from error


MAX_SUBJECT = 998  # RFC 5322's longest line
MAX_ID = 250
MAX_ADDRESS = 254  # RFC 5321


def _bounded(mail: ParsedEmail) -> ParsedEmail:
    """What a mail may say, cut to what can be stored: no NUL (PostgreSQL refuses it in text),
    ids and addresses within their columns, a subject one line long."""
    if len(mail.from_address) > MAX_ADDRESS:
        raise UnparseableEmail("sender address longer than 254 characters")

    def clean(value: str) -> str:
        return value.replace("\x00", "")

    def short_id(value: str) -> str:
        if len(value) <= MAX_ID:
            return value
        return f"long.{hashlib.sha256(value.encode()).hexdigest()[:40]}@ponton.invalid"

    return dataclasses.replace(
        mail,
        message_id=short_id(mail.message_id),
        in_reply_to=tuple(short_id(i) for i in mail.in_reply_to),
        references=tuple(short_id(i) for i in mail.references),
        bounced_message_id=short_id(mail.bounced_message_id),
        subject=clean(mail.subject)[:MAX_SUBJECT],
        from_name=clean(mail.from_name)[:150],
        text=clean(mail.text),
        html=clean(mail.html),
        clean_text=clean(mail.clean_text),
        to=tuple(a for a in mail.to if len(a) <= MAX_ADDRESS),
        recipients=tuple(a for a in mail.recipients if len(a) <= MAX_ADDRESS),
        bounced_recipients=tuple(a for a in mail.bounced_recipients if len(a) <= MAX_ADDRESS),
    )


def _parse(raw: bytes) -> ParsedEmail:
    message = BytesParser(policy=policy.default).parsebytes(raw)
    if not isinstance(message, EmailMessage) or not list(message.keys()):
        raise UnparseableEmail("no header fields")
    anomalies: list[str] = []

    from_name, from_address = _sender(message, anomalies)
    subject = _normalise_spaces(_header(message, "Subject", anomalies))
    plain_part, html_part = _body_parts(message)
    html = _part_text(html_part) if html_part is not None else ""
    text = _part_text(plain_part).strip("\n") if plain_part is not None else ""
    if not text.strip() and html:
        text = html_to_text(html)
    text = text.replace("\r\n", "\n")
    kind, kind_reason = _classify(message, from_address, subject)
    bounced_recipients: tuple[str, ...] = ()
    bounced_message_id = ""
    if kind == "bounce":
        bounced_recipients = _bounced_recipients(message)
        bounced_message_id = _bounced_message_id(message, text)
    own_text = clean_text(text, forwarded_subject=bool(_FORWARD_PREFIX.match(subject)))
    return ParsedEmail(
        message_id=_message_id(message, raw),
        in_reply_to=_ids(_header(message, "In-Reply-To", anomalies)),
        references=_ids(" ".join(_headers(message, "References", anomalies))),
        from_address=from_address,
        from_name=from_name,
        reply_to=next(iter(_addresses(message, ("Reply-To",), anomalies)), ""),
        to=_addresses(message, ("To",), anomalies),
        recipients=_addresses(message, _RECIPIENT_HEADERS, anomalies),
        subject=subject,
        date=_date(_header(message, "Date", anomalies)),
        text=text,
        html=html,
        clean_text=own_text,
        attachments=tuple(_attachments(message, {id(plain_part), id(html_part)}, html)),
        kind=kind,
        kind_reason=kind_reason,
        bounced_recipients=bounced_recipients,
        bounced_message_id=bounced_message_id,
        header_anomalies=tuple(dict.fromkeys(anomalies)),
        language=_language(message, own_text),
    )


def strip_subject_prefixes(subject: str) -> str:
    """The subject without "Re:", "RE :", "TR:", "Fwd:", "AW:", "Réf. :"… however many."""
    return _SUBJECT_PREFIXES.sub("", subject, count=1).strip()


# Headers ------------------------------------------------------------------------------------


def _raw_headers(message: Message, name: str) -> list[str]:
    lowered = name.lower()
    return [str(value) for key, value in message.raw_items() if key.lower() == lowered]


def _as_text(value: str) -> str:
    """Raw header text; 8-bit bytes (sent undeclared by some clients) read as UTF-8 or cp1252."""
    try:
        data = value.encode("ascii", "surrogateescape")
    except UnicodeEncodeError:
        return value
    return _decode_bytes(data, None)


def _unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).strip()


def _decode_words(value: str) -> str:
    """RFC 2047 encoded words decoded; an unknown charset falls back rather than failing."""
    if "=?" not in value:
        return value
    try:
        chunks = decode_header(value)
    except Exception:  # the stdlib raises HeaderParseError and friends on broken words
        return value
    decoded: list[str] = []
    for chunk, charset in chunks:
        if isinstance(chunk, str):
            decoded.append(chunk)
        else:
            decoded.append(_decode_bytes(chunk, charset))
    return "".join(decoded)


def _checked(name: str, value: str, anomalies: list[str]) -> str:
    """Control characters (a decoded CR/LF is a header injection attempt) flagged and blanked."""
    if _CONTROL.search(value):
        kind = "a line break" if re.search(r"[\r\n]", value) else "a control character"
        anomalies.append(f"{name} contains {kind} after decoding")
        value = _CONTROL.sub(" ", value)
    return value


def _headers(message: Message, name: str, anomalies: list[str]) -> list[str]:
    return [
        _checked(name, _decode_words(_unfold(_as_text(value))), anomalies)
        for value in _raw_headers(message, name)
    ]


def _header(message: Message, name: str, anomalies: list[str]) -> str:
    values = _headers(message, name, anomalies)
    return values[0] if values else ""


def _normalise_spaces(value: str) -> str:
    return " ".join(value.split())


def _mailboxes(raw_value: str, name: str, anomalies: list[str]) -> list[tuple[str, str]]:
    """(display name, lowercased address) pairs of a raw address header; invalid ones dropped."""
    pairs: list[tuple[str, str]] = []
    for display, address in getaddresses([_unfold(_as_text(raw_value))]):
        address = address.strip().lower()
        if not _ADDR_SPEC.match(address):
            continue
        display_name = _checked(f"{name} display name", _decode_words(display), anomalies)
        pairs.append((_normalise_spaces(display_name), address))
    return pairs


def _sender(message: Message, anomalies: list[str]) -> tuple[str, str]:
    raw_from = _raw_headers(message, "From")
    if not raw_from:
        raise UnparseableEmail("no From header")
    if len(raw_from) > 1:
        anomalies.append(f"{len(raw_from)} From headers")
    mailboxes = _mailboxes(raw_from[0], "From", anomalies)
    if not mailboxes:
        raise UnparseableEmail("no valid address in From")
    if len(mailboxes) > 1:
        anomalies.append("From has several addresses")
    return mailboxes[0]


def _addresses(message: Message, names: Iterable[str], anomalies: list[str]) -> tuple[str, ...]:
    found: list[str] = []
    for name in names:
        for raw_value in _raw_headers(message, name):
            found.extend(address for _display, address in _mailboxes(raw_value, name, anomalies))
    return tuple(dict.fromkeys(found))


def _ids(value: str) -> tuple[str, ...]:
    """Message ids without <>, in order, once each; bare ids accepted from sloppy clients."""
    found = _MESSAGE_ID.findall(value)
    if not found:
        found = [token for token in value.split() if "@" in token]
    return tuple(dict.fromkeys(found))


def _message_id(message: Message, raw: bytes) -> str:
    anomalies: list[str] = []  # a broken Message-ID is replaced, not reported
    ids = _ids(_header(message, "Message-ID", anomalies))
    if ids and not anomalies:
        return ids[0]
    return f"synthetic.{_fingerprint(raw)}@ponton.invalid"


def _fingerprint(raw: bytes) -> str:
    """A hash of the mail without the trace headers relays add and with one kind of line end.

    The same mail piped by the MTA (LF) and fetched over IMAP (CRLF), or delivered twice with a
    different ``Received`` chain, gets the same id, so the lead's duplicate check holds.
    """
    normalised = raw.replace(b"\r\n", b"\n")
    head, separator, body = normalised.partition(b"\n\n")
    kept: list[bytes] = []
    skipping = False
    for line in head.split(b"\n"):
        if line[:1] in (b" ", b"\t"):
            if not skipping:
                kept.append(line)
            continue
        name = line.split(b":", 1)[0].strip().lower().decode("ascii", "replace")
        skipping = name in _TRACE_HEADERS
        if not skipping:
            kept.append(line)
    return hashlib.sha256(b"\n".join(kept) + separator + body).hexdigest()[:40]


def _date(value: str) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    # "-0000" means "time zone unknown" (RFC 5322 3.3): UTC is the honest reading.
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


# Bodies and attachments ---------------------------------------------------------------------


def _decode_bytes(data: bytes, charset: str | None) -> str:
    """Text from bytes whatever the sender declared.

    A declared charset is tried first (ISO-8859-1 read as its superset cp1252, as every mail
    client does); an undeclared or ASCII-declared body with 8-bit bytes is UTF-8 when it
    decodes as such, otherwise cp1252, the usual charset of old Windows clients.
    """
    candidates: list[str] = []
    if charset:
        declared = charset.strip().strip('"').lower()
        if declared in ("iso-8859-1", "latin-1", "latin1", "iso8859-1", "us-ascii", "ascii"):
            declared = "cp1252" if declared.startswith(("iso", "latin")) else "utf-8"
        candidates.append(declared)
    candidates.extend(["utf-8", "cp1252"])
    for candidate in candidates:
        try:
            return data.decode(candidate)
        except (LookupError, ValueError):  # unknown, undecodable, or a NUL in the charset name
            continue
    return data.decode("utf-8", "replace")


def _part_text(part: Message | None) -> str:
    if part is None:
        return ""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    return _decode_bytes(payload, part.get_content_charset()).replace("\r\n", "\n")


def _body_parts(message: EmailMessage) -> tuple[Message | None, Message | None]:
    """The text/plain and text/html parts a mail client would show, not those of attachments."""
    try:
        plain = message.get_body(preferencelist=("plain",))
        html = message.get_body(preferencelist=("html",))
    except (ValueError, IndexError, KeyError, AttributeError):
        # The stdlib trips on some malformed parameters (and on a multipart whose boundary
        # never appears): find the first inline text parts by hand from the raw headers.
        found: dict[str, Message] = {}
        for part, _in_report in _leaves(message):
            disposition = _first(part, "Content-Disposition").split(";", 1)[0].strip().lower()
            subtype = part.get_content_subtype()
            if part.get_content_maintype() == "text" and disposition != "attachment":
                found.setdefault(subtype, part)
        return found.get("plain"), found.get("html")
    return plain, html


def _content_id(part: Message) -> str:
    raw = _raw_headers(part, "Content-ID")
    return raw[0].strip().strip("<>").strip() if raw else ""


def _leaves(part: Message, *, in_report: bool = False) -> Iterator[tuple[Message, bool]]:
    """Every part that is not a container, with whether it sits inside a multipart/report.

    An attached message (message/rfc822) is one leaf: it is a file the customer sent, and its
    own attachments are not the customer's.
    """
    if part.get_content_maintype() == "multipart" and isinstance(part.get_payload(), list):
        report = in_report or part.get_content_subtype() == "report"
        for child in part.get_payload():
            if isinstance(child, Message):
                yield from _leaves(child, in_report=report)
        return
    yield part, in_report


def _attachments(message: Message, body_ids: set[int], html: str) -> Iterator[ParsedAttachment]:
    referenced = {cid.lower() for cid in re.findall(r"cid:([^\"'\s>)]+)", html, re.IGNORECASE)}
    for index, (part, in_report) in enumerate(_leaves(message), start=1):
        if id(part) in body_ids:
            continue
        content_type = part.get_content_type()
        if in_report and content_type in (
            "message/delivery-status",
            "message/rfc822",
            "text/rfc822-headers",
            "message/global-delivery-status",
            "message/feedback-report",
            "message/disposition-notification",
        ):
            continue  # the report's machinery, read by _bounced_*, not a customer's file
        disposition = _first(part, "Content-Disposition").split(";", 1)[0].strip().lower()
        raw_name = _filename(part)
        is_body_text = content_type in ("text/plain", "text/html") and not raw_name
        if is_body_text and disposition != "attachment":
            continue  # an alternative or split body part, not a file
        content_id = _content_id(part)
        data = _attachment_data(part)
        inline = content_id.lower() in referenced if content_id else False
        # Apple Mail marks attached PDFs "inline": only images are really shown in the text.
        inline = inline or (disposition == "inline" and part.get_content_maintype() == "image")
        yield ParsedAttachment(
            filename=_safe_filename(raw_name, content_type, index),
            content_type=content_type,
            data=data,
            inline=inline,
            content_id=content_id,
        )


def _attachment_data(part: Message) -> bytes:
    if part.get_content_type() == "message/rfc822":
        payload = part.get_payload()
        if isinstance(payload, list) and payload and isinstance(payload[0], Message):
            return payload[0].as_bytes(policy=policy.compat32)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or part.get_param("name") or ""
    except (ValueError, IndexError, KeyError):
        return ""
    if isinstance(name, tuple):  # an RFC 2231 value not collapsed by the parser
        name = _decode_bytes(name[2].encode("latin-1", "replace"), name[0])
    # Outlook and some webmails put RFC 2047 words inside the parameter, which RFC 2231 replaced.
    return _decode_words(_as_text(str(name)))


def _safe_filename(name: str, content_type: str, index: int) -> str:
    """A name without path parts or control characters; a generated one when there is none."""
    name = unicodedata.normalize("NFC", name)
    name = re.split(r"[\\/]", name)[-1]
    name = _FILENAME_FORBIDDEN.sub("", name).strip().strip(".").strip()
    if len(name) > 200:
        stem, dot, extension = name.rpartition(".")
        name = stem[: 200 - len(extension) - 1] + dot + extension if dot else name[:200]
    if name:
        return name
    extension = {"message/rfc822": ".eml", "text/plain": ".txt"}.get(content_type) or (
        mimetypes.guess_extension(content_type) or ".bin"
    )
    return f"attachment-{index}{extension}"


# Classification -----------------------------------------------------------------------------


def _first(message: Message, name: str) -> str:
    values = _raw_headers(message, name)
    return _normalise_spaces(_unfold(values[0])) if values else ""


def _report_type(message: Message) -> str:
    if message.get_content_type() != "multipart/report":
        return ""
    return str(message.get_param("report-type") or "").lower()


def _classify(message: Message, from_address: str, subject: str) -> tuple[str, str]:
    report_type = _report_type(message)
    if report_type == "delivery-status":
        return "bounce", "delivery status notification"
    if from_address.split("@", 1)[0] in _DAEMON_LOCAL_PARTS:
        return "bounce", "mailer-daemon sender"
    if _first(message, "Return-Path") == "<>" and _first(message, "X-Failed-Recipients"):
        return "bounce", "null Return-Path with X-Failed-Recipients"

    auto_submitted = _first(message, "Auto-Submitted").lower()
    if auto_submitted and not auto_submitted.startswith("no"):
        return "auto_reply", f"Auto-Submitted: {auto_submitted.split(';')[0].strip()}"
    if _raw_headers(message, "X-Autoreply"):
        return "auto_reply", "X-Autoreply"
    if _raw_headers(message, "X-Autorespond"):
        return "auto_reply", "X-Autorespond"
    precedence = _first(message, "Precedence").lower()
    if precedence == "auto_reply":
        return "auto_reply", "Precedence: auto_reply"
    if report_type == "disposition-notification":
        return "auto_reply", "read receipt"
    suppress = _first(message, "X-Auto-Response-Suppress")
    if suppress and _OUT_OF_OFFICE_SUBJECT.search(subject):
        return "auto_reply", "X-Auto-Response-Suppress with an out-of-office subject"

    if precedence in ("bulk", "list", "junk"):
        return "bulk", f"Precedence: {precedence}"
    if _raw_headers(message, "List-Id"):
        return "bulk", "List-Id"
    if _raw_headers(message, "List-Unsubscribe"):
        return "bulk", "List-Unsubscribe"
    return "message", ""


def _report_parts(message: Message) -> Iterator[Message]:
    for part, in_report in _leaves(message):
        if in_report:
            yield part


def _delivery_status_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    # Some servers send the status fields as an unparsed blob: read it as header blocks.
    text = payload if isinstance(payload, str) else ""
    return [
        BytesHeaderParser(policy=policy.compat32).parsebytes(block.encode("utf-8", "replace"))
        for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n"))
        if block.strip()
    ]


def _bounced_recipients(message: Message) -> tuple[str, ...]:
    """The failed addresses: ``Final-Recipient`` of failed DSN blocks, else X-Failed-Recipients."""
    failed: list[str] = []
    for part in _report_parts(message):
        if part.get_content_type() not in (
            "message/delivery-status",
            "message/global-delivery-status",
        ):
            continue
        for block in _delivery_status_blocks(part):
            recipient = _first(block, "Final-Recipient") or _first(block, "Original-Recipient")
            action = _first(block, "Action").lower()
            if recipient and action in ("", "failed"):
                address = recipient.split(";", 1)[-1].strip().strip("<>").lower()
                if _ADDR_SPEC.match(address):
                    failed.append(address)
    if not failed:
        for value in _raw_headers(message, "X-Failed-Recipients"):
            failed.extend(
                address
                for address in (item.strip().strip("<>").lower() for item in value.split(","))
                if _ADDR_SPEC.match(address)
            )
    return tuple(dict.fromkeys(failed))


def _bounced_message_id(message: Message, text: str) -> str:
    """The Message-ID of the mail that bounced, from the returned message or its headers."""
    for part in _report_parts(message):
        content_type = part.get_content_type()
        returned: Message | None = None
        if content_type == "message/rfc822":
            payload = part.get_payload()
            if isinstance(payload, list) and payload and isinstance(payload[0], Message):
                returned = payload[0]
        elif content_type == "text/rfc822-headers":
            data = part.get_payload(decode=True)
            if isinstance(data, bytes):
                returned = BytesHeaderParser(policy=policy.compat32).parsebytes(data)
        if returned is not None:
            ids = _ids(_first(returned, "Message-ID"))
            if ids:
                return ids[0]
    # Bounces without a report (old qmail, some Exchange set-ups) quote the headers in the text.
    own = set(_ids(_first(message, "Message-ID")))
    for found in re.findall(r"^\s*Message-ID:\s*<([^<>\s]+)>", text, re.IGNORECASE | re.M):
        if found not in own:
            return str(found)
    return ""


def _language(message: Message, text: str) -> str:
    declared = _first(message, "Content-Language").lower()
    for code in ("fr", "en"):
        if declared.startswith(code):
            return code
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ]+", text.lower())
    french = sum(word in _FRENCH_WORDS for word in words)
    english = sum(word in _ENGLISH_WORDS for word in words)
    if max(french, english) < 3:
        return ""
    if french > english * 1.5:
        return "fr"
    if english > french * 1.5:
        return "en"
    return ""
