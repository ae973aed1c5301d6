"""Fetching from a real Dovecot. `deliver` is the boundary with the receiving side,
so a collecting function stands in for it here."""

from __future__ import annotations

from email.message import EmailMessage
from email.policy import SMTP

from ponton.connectors.email.imap import fetch_all, fetch_mailbox
from ponton.connectors.email.testing import Dovecot, ImapServer, require_dovecot


class UnparseableEmail(ValueError):
    """What the receiving side raises for bytes that are not an email."""


def mail(subject: str, sender: str = "claire@example.com") -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@ponton.test"
    message["Subject"] = subject
    message["Message-ID"] = f"<{subject.replace(' ', '-')}@example.com>"
    message.set_content(f"Bonjour, {subject}.")
    return message.as_bytes(policy=SMTP)


class Collector:
    """Keeps what it is given; fails on demand, as a database that is down would."""

    def __init__(self, *, fail_after: int | None = None) -> None:
        self.received: list[bytes] = []
        self.fail_after = fail_after

    def __call__(self, raw: bytes) -> None:
        if self.fail_after is not None and len(self.received) >= self.fail_after:
            raise ConnectionError("the database is unavailable")
        if b"garbage" in raw:
            raise UnparseableEmail("not an email")
        self.received.append(raw)


def test_delivered_mail_is_moved_to_the_processed_folder_and_marked_seen(
    imap_server: ImapServer,
) -> None:
    first, second = mail("first question"), mail("second question")
    imap_server.append(first)
    imap_server.append(second)
    deliver = Collector()

    report = fetch_mailbox(imap_server.mailbox(), deliver)

    assert deliver.received == [first, second]
    assert (report.delivered, report.unreadable, report.left_for_retry) == (2, 0, 0)
    assert report.ok
    assert imap_server.messages("INBOX") == []
    processed = imap_server.messages("Ponton/Processed")
    assert [m.raw for m in processed] == [first, second]
    assert all("\\Seen" in m.flags for m in processed)
    assert "Ponton/Processed" in imap_server.folders()


def test_mail_whose_delivery_fails_for_now_stays_unseen_in_the_inbox_and_comes_at_the_next_poll(
    imap_server: ImapServer,
) -> None:
    mails = [mail("one"), mail("two"), mail("three")]
    for raw in mails:
        imap_server.append(raw)

    down = fetch_mailbox(imap_server.mailbox(), Collector(fail_after=1))

    assert (down.delivered, down.left_for_retry) == (1, 2)
    assert not down.ok
    assert "the database is unavailable" in down.errors[0]
    waiting = imap_server.messages("INBOX")
    assert [m.raw for m in waiting] == mails[1:]
    assert all("\\Seen" not in m.flags for m in waiting)

    deliver = Collector()
    up = fetch_mailbox(imap_server.mailbox(), deliver)

    assert deliver.received == mails[1:]
    assert up.ok and up.delivered == 2
    assert imap_server.messages("INBOX") == []
    assert [m.raw for m in imap_server.messages("Ponton/Processed")] == mails


def test_unreadable_mail_goes_to_the_unreadable_folder_unseen_and_the_rest_is_delivered(
    imap_server: ImapServer,
) -> None:
    garbage = b"garbage \xff\xfe without any header\r\n"
    imap_server.append(garbage)
    imap_server.append(mail("a real question"))
    deliver = Collector()

    report = fetch_mailbox(imap_server.mailbox(), deliver, unreadable=(UnparseableEmail,))

    assert (report.delivered, report.unreadable, report.errors) == (1, 1, [])
    unreadable = imap_server.messages("Ponton/Unreadable")
    assert [m.raw for m in unreadable] == [garbage]
    assert "\\Seen" not in unreadable[0].flags
    assert imap_server.messages("INBOX") == []


def test_without_unreadable_errors_declared_an_unparseable_mail_is_left_in_place(
    imap_server: ImapServer,
) -> None:
    imap_server.append(b"garbage\r\n")

    report = fetch_mailbox(imap_server.mailbox(), Collector())

    assert (report.unreadable, report.left_for_retry) == (0, 1)
    assert len(imap_server.messages("INBOX")) == 1


def test_a_poll_takes_at_most_its_limit_oldest_first_and_the_next_one_takes_the_rest(
    imap_server: ImapServer,
) -> None:
    mails = [mail(f"question {n}") for n in range(3)]
    for raw in mails:
        imap_server.append(raw)
    deliver = Collector()

    first = fetch_mailbox(imap_server.mailbox(), deliver, limit=2)
    second = fetch_mailbox(imap_server.mailbox(), deliver, limit=2)

    assert (first.delivered, second.delivered) == (2, 1)
    assert first.ok and second.ok
    assert deliver.received == mails


def test_folders_are_named_with_slashes_whatever_the_servers_separator_and_may_be_non_ascii(
    imap_server: ImapServer,
) -> None:
    imap_server.append(mail("merci"))
    config = imap_server.mailbox(processed_folder="Ponton/Traités")

    assert fetch_mailbox(config, Collector()).delivered == 1

    # IMAP's modified UTF-7 for "é" (RFC 3501), under Dovecot's "." hierarchy.
    assert "Ponton/Trait&AOk-s" in imap_server.folders()
    assert len(imap_server.messages("Ponton/Trait&AOk-s")) == 1


def test_a_missing_folder_to_read_is_reported(imap_server: ImapServer) -> None:
    report = fetch_mailbox(imap_server.mailbox(folder="Support"), Collector())

    assert not report.ok
    assert "cannot open the folder 'Support'" in report.errors[0]


def test_bad_credentials_and_unreachable_servers_are_reported_and_other_mailboxes_still_polled(
    imap_server: ImapServer,
) -> None:
    question = mail("for sales")
    imap_server.append(question, user="sales@ponton.test")
    wrong_password = imap_server.mailbox(password="not-the-password")
    nobody_listening = imap_server.mailbox(port=imap_server.port + 1, name="closed")
    deliver = Collector()

    refused, unreachable, sales = fetch_all(
        deliver,
        mailboxes=[wrong_password, nobody_listening, imap_server.mailbox("sales@ponton.test")],
    )

    assert refused.mailbox == "support@ponton.test"
    assert "login refused" in refused.errors[0]
    assert "not-the-password" not in refused.errors[0]
    assert unreachable.mailbox == "closed"
    assert "cannot connect" in unreachable.errors[0]
    assert sales.ok and sales.delivered == 1
    assert deliver.received == [question]


def test_servers_without_move_get_copy_then_delete_and_nothing_else_is_expunged() -> None:
    require_dovecot()
    dovecot = Dovecot({"support@ponton.test": "pw"}, capabilities="IMAP4rev1 LITERAL+ UIDPLUS IDLE")
    server = dovecot.start()
    try:
        kept_by_someone = mail("marked deleted by another client")
        server.append(kept_by_someone, flags="\\Deleted")
        question = mail("hello")
        server.append(question)
        deliver = Collector()

        report = fetch_mailbox(server.mailbox(), deliver)

        assert report.ok and report.delivered == 1
        assert deliver.received == [question]
        assert [m.raw for m in server.messages("Ponton/Processed")] == [question]
        # UID EXPUNGE removed only ours; another client's deleted message is its business.
        assert [m.raw for m in server.messages("INBOX")] == [kept_by_someone]
    finally:
        dovecot.stop()


def test_a_mail_that_always_fails_stays_in_the_inbox_without_holding_up_the_ones_after_it(
    imap_server: ImapServer,
) -> None:
    mails = [mail("one"), mail("poison"), mail("three")]
    for raw in mails:
        imap_server.append(raw)
    received: list[bytes] = []

    def deliver(raw: bytes) -> None:
        if b"poison" in raw:
            raise RuntimeError("a bug, not an outage")
        received.append(raw)

    report = fetch_mailbox(imap_server.mailbox(), deliver, temporary=(ConnectionError,))

    assert received == [mails[0], mails[2]]
    assert (report.delivered, report.left_for_retry) == (2, 1)
    assert "a bug, not an outage" in report.errors[0]
    assert [m.raw for m in imap_server.messages("INBOX")] == [mails[1]]
