"""Customer mail fetched from IMAP mailboxes, one poll at a time.

Mailboxes are configured with ``PONTON_IMAP_MAILBOXES``: one or more IMAP URLs,
separated by commas::

    PONTON_IMAP_MAILBOXES=imaps://support%40example.com:secret@imap.example.com/INBOX

    imaps://USER:PASSWORD@HOST[:PORT][/FOLDER][?OPTION=VALUE&...]

- ``imaps://`` connects with TLS from the start (port 993 by default);
  ``imap://`` connects in clear and then requires STARTTLS (port 143 by
  default): a server that does not offer it is refused, never used in clear.
- USER and PASSWORD are percent-encoded like any URL part: ``@`` is ``%40``,
  ``:`` ``%3A``, ``/`` ``%2F``, ``,`` ``%2C``, ``#`` ``%23``, ``?`` ``%3F``,
  ``%`` ``%25``. Use an application password where the provider offers one.
- FOLDER is the folder to read, ``INBOX`` by default.
- Options: ``processed=FOLDER`` where delivered mail goes (default
  ``Ponton/Processed``); ``unreadable=FOLDER`` where mail that is not an email
  at all goes, for a person to look at (default ``Ponton/Unreadable``);
  ``name=TEXT`` the mailbox's name in logs and reports (default the user);
  ``timeout=SECONDS`` for each network operation (default 30);
  ``security=tls|starttls|none`` overrides the scheme; ``none`` sends the
  password in clear and is meant for a server on the same machine.

Folder names use ``/`` as the hierarchy separator whatever the server's own
(Dovecot's is often ``.``); missing folders are created and subscribed.

A poll reads the oldest messages first without marking them seen, hands each
raw message to ``deliver``, and only then moves it: to the processed folder
once delivered, to the unreadable folder when ``deliver`` says the bytes are
not an email. Any other failure (the database is down) leaves the message
where it is, untouched, and ends that mailbox's poll: the next poll retries
it. A crash between delivery and the move delivers the message again at the
next poll, which the receiving side recognises as a duplicate: mail is
delivered at least once and never lost.
"""

from __future__ import annotations

import base64
import imaplib
import logging
import re
import ssl
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, cast
from urllib.parse import parse_qsl, unquote, urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)

Security = Literal["tls", "starttls", "none"]
Deliver = Callable[[bytes], object]
SETTING = "PONTON_IMAP_MAILBOXES"
URL_FORMAT = "imaps://USER:PASSWORD@HOST[:PORT][/FOLDER][?processed=FOLDER&unreadable=FOLDER]"
_SCHEMES: dict[str, Security] = {"imaps": "tls", "imap": "starttls"}
_DEFAULT_PORTS: dict[Security, int] = {"tls": 993, "starttls": 143, "none": 143}
_OPTIONS = ("processed", "unreadable", "name", "timeout", "security")


@dataclass(frozen=True)
class MailboxConfig:
    """One IMAP folder that customers' mail arrives in."""

    host: str
    username: str
    password: str = field(repr=False)
    port: int = 993
    security: Security = "tls"
    folder: str = "INBOX"
    processed_folder: str = "Ponton/Processed"
    unreadable_folder: str = "Ponton/Unreadable"
    name: str = ""
    timeout: float = 30.0

    @property
    def label(self) -> str:
        """How logs and reports name this mailbox."""
        return self.name or (
            self.username if "@" in self.username else f"{self.username}@{self.host}"
        )


@dataclass
class FetchReport:
    """What one poll of one mailbox did."""

    mailbox: str
    delivered: int = 0
    unreadable: int = 0
    left_for_retry: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Everything found was delivered or put aside, and the mailbox answered."""
        return not self.errors and not self.left_for_retry


# Configuration ----------------------------------------------------------------------


def parse_mailbox_url(url: str, *, setting: str = SETTING) -> MailboxConfig:
    """The mailbox an IMAP URL describes; ImproperlyConfigured (never showing the
    password) when it cannot be used."""
    shown = _redacted(url)

    def bad(reason: str) -> ImproperlyConfigured:
        return ImproperlyConfigured(f"{setting}: {reason} in {shown!r} (expected {URL_FORMAT})")

    if "#" in url:  # it would silently cut the URL short
        raise bad("a '#' must be written %23")
    try:
        parts = urlsplit(url.strip())
    except ValueError as exc:
        raise bad(f"the URL cannot be read ({exc})") from None
    if parts.scheme not in _SCHEMES:
        raise bad("the scheme must be imaps:// (TLS) or imap:// (STARTTLS)")
    if not parts.hostname:
        raise bad("the server's host name is missing")
    try:
        port = parts.port
    except ValueError:
        raise bad("the port must be a number from 1 to 65535") from None
    username = unquote(parts.username or "")
    password = unquote(parts.password or "")
    if not username or not password:
        raise bad("the user and the password are both required (USER:PASSWORD@HOST)")

    options: dict[str, str] = {}
    for key, value in parse_qsl(parts.query, keep_blank_values=True):
        if key not in _OPTIONS:
            raise bad(f"unknown option {key!r} (known: {', '.join(_OPTIONS)})")
        if key in options:
            raise bad(f"the option {key!r} is given twice")
        if not value.strip():
            raise bad(f"the option {key!r} is empty")
        options[key] = value.strip()

    chosen = options.get("security", _SCHEMES[parts.scheme])
    if chosen not in _DEFAULT_PORTS:
        raise bad(f"security must be tls, starttls or none, got {chosen!r}")
    security = cast(Security, chosen)
    try:
        timeout = float(options.get("timeout", "30"))
    except ValueError:
        raise bad("timeout must be a number of seconds") from None
    if timeout <= 0:
        raise bad("timeout must be more than 0 seconds")

    folder = unquote(parts.path).strip("/") or "INBOX"
    processed = options.get("processed", "Ponton/Processed").strip("/")
    unreadable = options.get("unreadable", "Ponton/Unreadable").strip("/")
    if folder.upper() in {processed.upper(), unreadable.upper()}:
        raise bad("the processed and unreadable folders must differ from the folder read")
    return MailboxConfig(
        host=parts.hostname,
        port=port or _DEFAULT_PORTS[security],
        username=username,
        password=password,
        security=security,
        folder=folder,
        processed_folder=processed,
        unreadable_folder=unreadable,
        name=options.get("name", ""),
        timeout=timeout,
    )


def parse_mailbox_urls(urls: Iterable[str], *, setting: str = SETTING) -> list[MailboxConfig]:
    """Every mailbox of the setting, refusing one listed twice."""
    mailboxes: list[MailboxConfig] = []
    seen: set[tuple[str, int, str, str]] = set()
    for url in urls:
        config = parse_mailbox_url(url, setting=setting)
        key = (config.host, config.port, config.username.lower(), config.folder.upper())
        if key in seen:
            raise ImproperlyConfigured(
                f"{setting}: the folder {config.folder!r} of {config.label} is listed twice"
            )
        seen.add(key)
        mailboxes.append(config)
    return mailboxes


def configured_mailboxes() -> list[MailboxConfig]:
    """The mailboxes of the settings (``PONTON_IMAP_MAILBOXES``), validated."""
    return parse_mailbox_urls(settings.PONTON_IMAP_MAILBOXES)


def _redacted(url: str) -> str:
    """The URL without its password (nor its options), for error messages."""
    scheme, sep, rest = url.strip().partition("://")
    if not sep:
        return "…" if "@" in url else url.strip()
    netloc, slash, path = rest.partition("/")
    userinfo, at, hostport = netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return f"{scheme}://{user}{at}{hostport}{slash}{path.partition('?')[0]}"


# Fetching ---------------------------------------------------------------------------


class _Refused(Exception):
    """The server answered NO or BAD to a command."""


def fetch_mailbox(
    config: MailboxConfig,
    deliver: Deliver,
    *,
    limit: int = 100,
    unreadable: tuple[type[BaseException], ...] = (),
    temporary: tuple[type[BaseException], ...] = (Exception,),
) -> FetchReport:
    """Deliver up to `limit` messages of the mailbox's folder, oldest first.

    `deliver` gets each message's raw bytes. When it returns, the message moves
    to the processed folder (marked seen); when it raises one of `unreadable`,
    to the unreadable folder (left unseen for a person). One of `temporary` (the
    database is down) leaves the message in place and ends this poll of the
    mailbox; any other exception leaves that one message in place, reported, and
    goes on with the next, so one mail that always fails never blocks the others.
    """
    report = FetchReport(mailbox=config.label)
    try:
        conn = _connect(config)
    except (OSError, imaplib.IMAP4.error) as exc:
        report.errors.append(
            f"{config.label}: cannot connect to {config.host}:{config.port}: {_describe(exc)}"
        )
        return report
    try:
        _poll(
            _Session(conn, config),
            deliver,
            report,
            limit=limit,
            unreadable=unreadable,
            temporary=temporary,
        )
    except (OSError, imaplib.IMAP4.error, _Refused) as exc:
        report.errors.append(f"{config.label}: {_describe(exc)}")
    finally:
        _close(conn)
    for error in report.errors:
        logger.warning("IMAP %s", error)
    return report


def fetch_all(
    deliver: Deliver,
    *,
    mailboxes: Iterable[MailboxConfig] | None = None,
    limit: int = 100,
    unreadable: tuple[type[BaseException], ...] = (),
    temporary: tuple[type[BaseException], ...] = (Exception,),
) -> list[FetchReport]:
    """Poll every mailbox (by default the configured ones) once; a mailbox that
    fails is reported and never keeps the others from being polled."""
    reports = []
    for config in configured_mailboxes() if mailboxes is None else mailboxes:
        try:
            report = fetch_mailbox(
                config, deliver, limit=limit, unreadable=unreadable, temporary=temporary
            )
        except Exception as exc:  # a bug for one mailbox must not starve the others
            logger.exception("IMAP %s: poll failed", config.label)
            report = FetchReport(mailbox=config.label, errors=[f"{config.label}: {exc!r}"])
        reports.append(report)
    return reports


def fetch_configured_mail(*, limit: int = 100) -> list[FetchReport]:
    """Poll the configured mailboxes once into conversations (the email channel's receiver)."""
    # Imported here: the receiving side needs the models, and this module is read at start-up.
    from ponton.connectors.email.inbound import TemporaryFailure, receive
    from ponton.connectors.email.parsing import UnparseableEmail

    return fetch_all(
        receive, limit=limit, unreadable=(UnparseableEmail,), temporary=(TemporaryFailure,)
    )


def summary(reports: list[FetchReport]) -> dict[str, Any]:
    """The totals of one poll of every mailbox, as `ponton fetch-mail` prints them."""
    return {
        "mailboxes": len(reports),
        "delivered": sum(r.delivered for r in reports),
        "unreadable": sum(r.unreadable for r in reports),
        "left_for_retry": sum(r.left_for_retry for r in reports),
        "errors": [error for r in reports for error in r.errors],
    }


def _poll(
    session: _Session,
    deliver: Deliver,
    report: FetchReport,
    *,
    limit: int,
    unreadable: tuple[type[BaseException], ...],
    temporary: tuple[type[BaseException], ...],
) -> None:
    config = session.config
    session.login()
    session.select(config.folder)
    batch = session.oldest_uids(limit)
    for position, uid in enumerate(batch):
        raw = session.peek(uid)
        if raw is None:  # expunged by another client meanwhile
            continue
        try:
            deliver(raw)
        except unreadable as exc:
            logger.warning("IMAP %s: message %s is not an email (%s)", config.label, uid, exc)
            session.move(uid, config.unreadable_folder)
            report.unreadable += 1
            continue
        except temporary as exc:
            logger.exception("IMAP %s: delivering message %s failed", config.label, uid)
            report.left_for_retry += len(batch) - position
            report.errors.append(
                f"{config.label}: delivery failed ({exc!r}); {len(batch) - position} message(s) "
                f"left in {config.folder} for the next poll"
            )
            return
        except Exception as exc:
            logger.exception("IMAP %s: message %s could not be delivered", config.label, uid)
            report.left_for_retry += 1
            report.errors.append(
                f"{config.label}: message {uid} could not be delivered ({exc!r}); left in "
                f"{config.folder}, the next ones go on"
            )
            continue
        report.delivered += 1
        session.move(uid, config.processed_folder, seen=True)


class _Session:
    """One logged-in connection, with what the server told about itself."""

    def __init__(self, conn: imaplib.IMAP4, config: MailboxConfig) -> None:
        self.conn = conn
        self.config = config
        self.capabilities: set[str] = set()
        self.delimiter: str | None = None
        self.ready_folders: set[str] = set()

    def login(self) -> None:
        try:
            self.conn.login(self.config.username, self.config.password)
        except imaplib.IMAP4.error as exc:
            raise _Refused(f"login refused: {_describe(exc)}") from None
        # imaplib keeps the capabilities announced before login; they often grow after it.
        data = _ok(self.conn.capability(), "CAPABILITY")
        self.capabilities = {word.upper() for word in _text(data[0]).split()}
        listing = _ok(self.conn.list('""', '""'), "LIST")
        self.delimiter = _delimiter(listing)

    def server_name(self, folder: str) -> str:
        """The folder in the server's own hierarchy separator, encoded and quoted."""
        if self.delimiter and self.delimiter != "/":
            folder = folder.replace("/", self.delimiter)
        return _quote(_imap_utf7(folder))

    def select(self, folder: str) -> None:
        typ, data = self.conn.select(self.server_name(folder))
        if typ != "OK":
            raise _Refused(f"cannot open the folder {folder!r}: {_text(data[0] if data else '')}")

    def oldest_uids(self, limit: int) -> list[str]:
        data = _ok(self.conn.uid("SEARCH", "UNDELETED"), "SEARCH")
        uids = sorted(int(uid) for uid in b" ".join(d for d in data if d).split())
        return [str(uid) for uid in uids[:limit]]

    def peek(self, uid: str) -> bytes | None:
        """The raw message, read without setting \\Seen (BODY.PEEK)."""
        data = _ok(self.conn.uid("FETCH", uid, "(BODY.PEEK[])"), "FETCH")
        for item in data:
            if isinstance(item, tuple) and b"BODY[]" in item[0].upper():
                found = re.search(rb"UID (\d+)", item[0])
                if found is None or found.group(1) == uid.encode():
                    return bytes(item[1])
        return None

    def move(self, uid: str, folder: str, *, seen: bool = False) -> None:
        target = self.ensure_folder(folder)
        if seen:
            _ok(self.conn.uid("STORE", uid, "+FLAGS.SILENT", "(\\Seen)"), "STORE")
        if "MOVE" in self.capabilities:
            _ok(self.conn.uid("MOVE", uid, target), "MOVE")
            return
        _ok(self.conn.uid("COPY", uid, target), "COPY")
        _ok(self.conn.uid("STORE", uid, "+FLAGS.SILENT", "(\\Deleted)"), "STORE")
        if "UIDPLUS" in self.capabilities:
            _ok(self.conn.uid("EXPUNGE", uid), "UID EXPUNGE")
        else:
            _ok(self.conn.expunge(), "EXPUNGE")

    def ensure_folder(self, folder: str) -> str:
        """The folder's server name, after creating and subscribing it if missing."""
        name = self.server_name(folder)
        if name in self.ready_folders:
            return name
        exists = any(_ok(self.conn.list('""', name), "LIST"))
        if not exists:
            typ, data = self.conn.create(name)
            # Another poller may have created it since the LIST.
            if typ != "OK" and not any(_ok(self.conn.list('""', name), "LIST")):
                raise _Refused(
                    f"cannot create the folder {folder!r}: {_text(data[0] if data else '')}"
                )
            self.conn.subscribe(name)
        self.ready_folders.add(name)
        return name


def _connect(config: MailboxConfig) -> imaplib.IMAP4:
    if config.security == "tls":
        return imaplib.IMAP4_SSL(
            config.host,
            config.port,
            ssl_context=ssl.create_default_context(),
            timeout=config.timeout,
        )
    conn = imaplib.IMAP4(config.host, config.port, timeout=config.timeout)
    if config.security == "starttls":
        try:
            conn.starttls(ssl.create_default_context())
        except BaseException:
            conn.shutdown()
            raise
    return conn


def _close(conn: imaplib.IMAP4) -> None:
    # LOGOUT rather than CLOSE: CLOSE would expunge what other clients marked deleted.
    try:
        conn.logout()
    except (OSError, imaplib.IMAP4.error):
        conn.shutdown()


def _ok(response: tuple[str, list[Any]], command: str) -> list[Any]:
    typ, data = response
    if typ != "OK":
        raise _Refused(f"{command} refused: {_text(data[0] if data else '')}")
    return data


def _describe(exc: BaseException) -> str:
    """An exception as a person reads it (imaplib puts the server's bytes in its args)."""
    if exc.args and isinstance(exc.args[0], bytes):
        return _text(exc.args[0])
    return str(exc) or exc.__class__.__name__


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


_LIST_LINE = re.compile(r'^\((?P<flags>[^)]*)\) (?P<delimiter>NIL|"(?:\\.|[^"\\])*")')


def _delimiter(listing: list[Any]) -> str | None:
    """The hierarchy separator from the answer to LIST "" "" (None when the server has none)."""
    for item in listing:
        found = _LIST_LINE.match(_text(item[0] if isinstance(item, tuple) else item or ""))
        if found and found.group("delimiter") != "NIL":
            return found.group("delimiter")[1:-1].replace("\\\\", "\\").replace('\\"', '"')
    return None


def _quote(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _imap_utf7(name: str) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501, 5.1.3): ASCII stays, the rest
    is base64 of UTF-16 between '&' and '-'."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            encoded = base64.b64encode("".join(pending).encode("utf-16-be")).decode()
            out.append("&" + encoded.rstrip("=").replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if 0x20 <= ord(char) <= 0x7E:
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    return "".join(out)
