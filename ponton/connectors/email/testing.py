"""Real mail servers for tests: Debian's Dovecot as IMAP server, aiosmtpd as SMTP sink.

A pytest plugin (listed in ``ponton/conftest.py``), so any test can ask for:

    def test_mail_is_fetched(imap_server: ImapServer) -> None:
        imap_server.append(b"From: claire@example.com\\r\\n...")
        config = imap_server.mailbox()              # a MailboxConfig for the first user
        url = imap_server.url()                     # the same as PONTON_IMAP_MAILBOXES wants
        assert imap_server.messages("Ponton/Processed") == [...]

    def test_reply_is_sent(smtp_sink: SmtpSink) -> None:
        send_mail(...)                              # Django's SMTP backend, to the sink
        assert smtp_sink.messages[0].rcpt_tos == ["claire@example.com"]

Without Dovecot (``apt-get install dovecot-imapd``) the IMAP tests are skipped,
unless ``PONTON_REQUIRE_MAIL_SERVERS=1`` (as in CI) makes its absence a failure.
Folder names given to the helpers use ``/`` as separator, like the settings.
"""

from __future__ import annotations

import asyncio
import contextlib
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from ponton.connectors.email.imap import MailboxConfig

START_TIMEOUT = 10.0  # seconds; Dovecot is usually listening in a fraction of one


@dataclass(frozen=True)
class StoredMessage:
    uid: int
    flags: frozenset[str]
    raw: bytes


@dataclass
class ImapServer:
    """A running Dovecot with its own configuration, users and mail under one folder."""

    host: str
    port: int
    users: dict[str, str]  # user → password; the first one is the default
    separator: str = "."

    @property
    def user(self) -> str:
        return next(iter(self.users))

    @property
    def password(self) -> str:
        return self.users[self.user]

    def mailbox(self, user: str | None = None, **changes: Any) -> MailboxConfig:
        """The configuration that reads `user`'s INBOX (plaintext: the server is local)."""
        user = user or self.user
        values: dict[str, Any] = {
            "host": self.host,
            "port": self.port,
            "username": user,
            "password": self.users[user],
            "security": "none",
            "timeout": 10.0,
        }
        return MailboxConfig(**(values | changes))

    def url(self, user: str | None = None) -> str:
        """`user`'s INBOX as a PONTON_IMAP_MAILBOXES entry."""
        user = user or self.user
        return f"imap://{user}:{self.users[user]}@{self.host}:{self.port}/INBOX?security=none"

    def connect(self, user: str | None = None) -> imaplib.IMAP4:
        """A logged-in imaplib connection (the caller logs out)."""
        user = user or self.user
        conn = imaplib.IMAP4(self.host, self.port, timeout=10)
        conn.login(user, self.users[user])
        return conn

    def append(
        self, raw: bytes, folder: str = "INBOX", *, user: str | None = None, flags: str = ""
    ) -> None:
        """Put a message in a folder as a mail server's delivery would."""
        conn = self.connect(user)
        try:
            name = self._name(folder)
            conn.create(name)  # NO when it exists, which is fine
            result = conn.append(name, f"({flags})" if flags else "", "", raw)
            assert result[0] == "OK", result
        finally:
            conn.logout()

    def messages(self, folder: str = "INBOX", *, user: str | None = None) -> list[StoredMessage]:
        """The folder's messages, oldest first, read without changing their flags."""
        conn = self.connect(user)
        try:
            typ, _ = conn.select(self._name(folder), readonly=True)
            if typ != "OK":
                return []
            _, data = conn.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
            found = []
            for item in data:
                if isinstance(item, tuple):
                    uid = re.search(rb"UID (\d+)", item[0])
                    flags = re.search(rb"FLAGS \(([^)]*)\)", item[0])
                    assert uid and flags, item[0]
                    found.append(
                        StoredMessage(
                            uid=int(uid.group(1)),
                            flags=frozenset(flags.group(1).decode().split()),
                            raw=item[1],
                        )
                    )
            return sorted(found, key=lambda message: message.uid)
        finally:
            conn.logout()

    def folders(self, *, user: str | None = None) -> list[str]:
        """Every folder of the user, with `/` as separator."""
        conn = self.connect(user)
        try:
            _, data = conn.list()
            names = []
            for line in data:
                text = line.decode() if isinstance(line, bytes) else ""
                found = re.match(r'^\([^)]*\) "(?:\\.|[^"])*" "?(.*?)"?$', text)
                if found:
                    names.append(found.group(1).replace(self.separator, "/"))
            return sorted(names)
        finally:
            conn.logout()

    def _name(self, folder: str) -> str:
        return '"' + folder.replace("/", self.separator) + '"'


class Dovecot:
    """Start and stop one standalone Dovecot: its own base_dir, state, log and maildirs
    under a temporary folder, listening on 127.0.0.1 only, passwords from a passwd-file."""

    def __init__(self, users: dict[str, str], *, capabilities: str = "") -> None:
        self.users = users
        self.capabilities = capabilities
        self.root = Path(tempfile.mkdtemp(prefix="ponton-dovecot-"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> ImapServer:
        binary = dovecot_binary()
        assert binary is not None
        # Mail processes must not run as root; as root, they run as nobody. The folder
        # must then be reachable by them, hence world-readable (test passwords only).
        self.root.chmod(0o755)
        for attempt in range(3):
            port = free_port()
            self._write_config(port)
            with (self.root / "dovecot.log").open("ab") as log:
                self.process = subprocess.Popen(
                    [binary, "-F", "-c", str(self.root / "dovecot.conf")],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=log,
                    start_new_session=True,  # its own process group, to stop it whole
                )
            if self._wait_until_listening(port):
                return ImapServer(host="127.0.0.1", port=port, users=dict(self.users))
            self.stop(remove=False)
            if attempt == 2:
                break
        details = (self.root / "dovecot.log").read_text(errors="replace")[-2000:]
        self.stop()
        raise RuntimeError(f"Dovecot did not start:\n{details}")

    def stop(self, *, remove: bool = True) -> None:
        if self.process is not None:
            # Dovecot's own shutdown takes a second; its data is thrown away anyway.
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
            self.process = None
        if remove:
            shutil.rmtree(self.root, ignore_errors=True)

    def _wait_until_listening(self, port: int) -> bool:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                return False
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        return True
            except OSError:
                pass
            time.sleep(0.02)
        return False

    def _write_config(self, port: int) -> None:
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir(exist_ok=True)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            mail_uid, mail_gid = nobody.pw_uid, nobody.pw_gid
            internal = "dovecot" if _user_exists("dovecot") else "nobody"
            login = "dovenull" if _user_exists("dovenull") else "nobody"
            os.chown(self.root / "mail", mail_uid, mail_gid)
        else:
            me = pwd.getpwuid(os.geteuid())
            mail_uid, mail_gid = me.pw_uid, me.pw_gid
            internal = login = me.pw_name
        passwd = self.root / "users"
        passwd.write_text(
            "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in self.users.items())
        )
        passwd.chmod(0o644)
        capability = f"imap_capability = {self.capabilities}\n" if self.capabilities else ""
        (self.root / "dovecot.conf").write_text(
            f"""\
instance_name = ponton-test-{port}
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_internal_user = {internal}
default_login_user = {login}
first_valid_uid = 1
first_valid_gid = 1
mail_uid = {mail_uid}
mail_gid = {mail_gid}
mail_location = maildir:{self.root}/mail/%u
mail_fsync = never
{capability}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {passwd}
}}
userdb {{
  driver = static
  args = home={self.root}/mail/%u
}}
# No growing delay for the logins that follow a failed one (tests try wrong passwords).
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )


def dovecot_binary() -> str | None:
    return shutil.which("dovecot") or next(
        (path for path in ("/usr/sbin/dovecot", "/usr/local/sbin/dovecot") if os.path.exists(path)),
        None,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def require_dovecot() -> None:
    """Skip the test without Dovecot, or fail when the mail servers are required."""
    if dovecot_binary() is not None:
        return
    message = "Dovecot is not installed (apt-get install dovecot-imapd)"
    if os.environ.get("PONTON_REQUIRE_MAIL_SERVERS") == "1":
        pytest.fail(f"{message}, and PONTON_REQUIRE_MAIL_SERVERS=1 requires it.")
    pytest.skip(f"{message}: IMAP tests skipped.")


TEST_USERS = {"support@ponton.test": "support-password", "sales@ponton.test": "sales-password"}


@pytest.fixture
def imap_server() -> Iterator[ImapServer]:
    """A fresh Dovecot with two users (support@ and sales@ponton.test), empty mailboxes."""
    require_dovecot()
    dovecot = Dovecot(TEST_USERS)
    try:
        yield dovecot.start()
    finally:
        dovecot.stop()


# SMTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReceivedMail:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes


@dataclass
class SmtpSink:
    """An SMTP server on 127.0.0.1 that accepts every message and keeps it."""

    host: str
    port: int
    messages: list[ReceivedMail] = field(default_factory=list)


class _Collector:
    def __init__(self, sink: SmtpSink, lock: threading.Lock) -> None:
        self.sink = sink
        self.lock = lock

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        mail = ReceivedMail(
            mail_from=envelope.mail_from,
            rcpt_tos=list(envelope.rcpt_tos),
            raw=bytes(envelope.original_content or envelope.content),
        )
        with self.lock:
            self.sink.messages.append(mail)
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_sink(settings: Any) -> Iterator[SmtpSink]:
    """A real SMTP server, with Django's SMTP backend pointed at it."""
    from aiosmtpd.controller import Controller

    sink = SmtpSink(host="127.0.0.1", port=free_port())
    controller = Controller(
        _Collector(sink, threading.Lock()),
        hostname=sink.host,
        port=sink.port,
        loop=asyncio.new_event_loop(),
    )
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = sink.host
    settings.EMAIL_PORT = sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    try:
        yield sink
    finally:
        controller.stop()
        controller.loop.close()
