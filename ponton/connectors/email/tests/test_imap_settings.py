"""PONTON_IMAP_MAILBOXES: what a URL means, and the reasons a bad one is refused."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured

from ponton.connectors.email.imap import (
    FetchReport,
    MailboxConfig,
    configured_mailboxes,
    parse_mailbox_url,
    summary,
)
from ponton.env import envlist


def test_a_mailbox_url_gives_the_server_the_decoded_credentials_and_the_folders() -> None:
    config = parse_mailbox_url(
        "imaps://support%40example.com:s%3Acr%2Cet%25@imap.example.com/INBOX"
        "?processed=Ponton/Processed&name=Support"
    )

    assert config == MailboxConfig(
        host="imap.example.com",
        port=993,
        username="support@example.com",
        password="s:cr,et%",
        security="tls",
        folder="INBOX",
        processed_folder="Ponton/Processed",
        unreadable_folder="Ponton/Unreadable",
        name="Support",
    )


def test_imap_urls_use_starttls_on_port_143_and_clear_text_only_when_asked() -> None:
    starttls = parse_mailbox_url("imap://agent:pw@mail.example.com")
    clear = parse_mailbox_url("imap://agent:pw@127.0.0.1:1143/Support/Incoming?security=none")

    assert (starttls.security, starttls.port, starttls.folder) == ("starttls", 143, "INBOX")
    assert starttls.label == "agent@mail.example.com"
    assert (clear.security, clear.port, clear.folder) == ("none", 1143, "Support/Incoming")


def test_several_mailboxes_are_separated_by_commas(monkeypatch: Any, settings: Any) -> None:
    monkeypatch.setenv(
        "PONTON_IMAP_MAILBOXES",
        "imaps://support%40example.com:a@imap.example.com, imaps://sales:b%2Cc@imap.example.com",
    )
    settings.PONTON_IMAP_MAILBOXES = envlist("PONTON_IMAP_MAILBOXES", [])

    support, sales = configured_mailboxes()

    assert (support.label, sales.label) == ("support@example.com", "sales@imap.example.com")
    assert sales.password == "b,c"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("pop3://u:Sekr3t-pw@mail.example.com", "the scheme must be imaps://"),
        ("imaps://u:Sekr3t-pw@mail.example.com:99999", "the port must be a number"),
        ("imaps://mail.example.com/INBOX", "the user and the password are both required"),
        ("imaps://u@mail.example.com", "the user and the password are both required"),
        ("imaps://u:Sekr3t-pw@/INBOX", "the server's host name is missing"),
        ("imaps://u:Sekr3t-pw@mail.example.com?folder=x", "unknown option 'folder'"),
        ("imaps://u:Sekr3t-pw@mail.example.com?security=plain", "security must be tls"),
        ("imaps://u:Sekr3t-pw@mail.example.com?timeout=soon", "timeout must be a number"),
        ("imaps://u:Sekr3t-pw@mail.example.com?name=", "the option 'name' is empty"),
        ("imaps://u:Sekr3t-pw@mail.example.com/INBOX?processed=inbox", "must differ"),
        ("imaps://u:Sekr#3t-pw@mail.example.com", "must be written %23"),
    ],
)
def test_a_bad_mailbox_url_is_refused_with_its_reason_and_without_its_password(
    url: str, reason: str
) -> None:
    with pytest.raises(ImproperlyConfigured) as refused:
        parse_mailbox_url(url)

    message = str(refused.value)
    assert message.startswith("PONTON_IMAP_MAILBOXES: ")
    assert reason in message
    assert "Sekr" not in message


def test_a_mailbox_listed_twice_is_refused(settings: Any) -> None:
    settings.PONTON_IMAP_MAILBOXES = [
        "imaps://support%40example.com:a@imap.example.com/INBOX",
        "imaps://SUPPORT%40example.com:b@imap.example.com",
    ]

    with pytest.raises(ImproperlyConfigured, match="listed twice"):
        configured_mailboxes()


def test_a_mailbox_configuration_never_shows_its_password() -> None:
    config = parse_mailbox_url("imaps://u:Sekr3t-pw@mail.example.com")

    assert "Sekr3t" not in repr(config)


def test_the_summary_adds_up_every_mailbox_and_keeps_every_error() -> None:
    reports = [
        FetchReport(mailbox="support", delivered=3, unreadable=1),
        FetchReport(mailbox="sales", delivered=1, left_for_retry=2, errors=["sales: down"]),
    ]

    assert [report.ok for report in reports] == [True, False]
    assert summary(reports) == {
        "mailboxes": 2,
        "delivered": 4,
        "unreadable": 1,
        "left_for_retry": 2,
        "errors": ["sales: down"],
    }
