"""Email end to end, on real servers: a customer's mail lands in a Dovecot mailbox, the
workers' poll opens a conversation, the agent's answer leaves over SMTP, the customer's
reply to it joins the same conversation; duplicates, auto-replies and a database outage
lose nothing and answer nothing."""

from __future__ import annotations

import io
import json
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from django.core.management import call_command
from django.db import OperationalError, connection

from ponton.accounts.models import User
from ponton.connectors.email import imap
from ponton.connectors.email.models import Direction, EmailRecord
from ponton.connectors.email.testing import ImapServer, SmtpSink
from ponton.conversations import lifecycle
from ponton.conversations.models import Author, Conversation, State
from ponton.tasks.services import run_due

# Real commits: mail is queued when its transaction commits, as in production.
pytestmark = pytest.mark.django_db(transaction=True)

SUPPORT = "support@ponton.test"


@pytest.fixture(autouse=True)
def support_address(settings: Any) -> None:
    settings.PONTON_SUPPORT_EMAIL = SUPPORT


def customer_mail(
    text: str, *, message_id: str, subject: str = "Box en panne", **headers: str
) -> bytes:
    message = EmailMessage()
    message["From"] = "Élodie Garnier <elodie.garnier@example.org>"
    message["To"] = SUPPORT
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message["Date"] = "Thu, 03 Dec 2026 09:12:00 +0100"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(text)
    return message.as_bytes()


@pytest.fixture
def mailbox(imap_server: ImapServer, settings: Any) -> ImapServer:
    """The Dovecot mailbox, configured as an operator would (PONTON_IMAP_MAILBOXES)."""
    settings.PONTON_IMAP_MAILBOXES = [imap_server.url()]
    return imap_server


def poll() -> imap.FetchReport:
    """One poll of the workers' periodic task."""
    (report,) = imap.fetch_configured_mail()
    return report


def sent_to_customer(smtp_sink: SmtpSink) -> list[Any]:
    return [
        message_from_bytes(m.raw, policy=policy.default)
        for m in smtp_sink.messages
        if m.rcpt_tos == ["elodie.garnier@example.org"]
    ]


def test_a_customers_email_and_the_agents_answer_make_one_conversation_over_real_servers(
    mailbox: ImapServer, smtp_sink: SmtpSink, agent: User
) -> None:
    mailbox.append(
        customer_mail("Bonjour, ma box clignote en rouge depuis hier.", message_id="a1@example.org")
    )

    report = poll()

    assert (report.delivered, report.left_for_retry, report.errors) == (1, 0, [])
    assert mailbox.messages("INBOX") == []
    assert len(mailbox.messages("Ponton/Processed")) == 1
    conversation = Conversation.objects.get()
    assert (conversation.channel, conversation.state) == ("email", State.WAITING_HUMAN)

    run_due()  # the acknowledgement
    lifecycle.reply_as_agent(conversation, agent=agent, text="Débranchez-la dix secondes.")
    run_due()  # the answer

    acknowledgement, answer = sent_to_customer(smtp_sink)
    assert acknowledgement["Auto-Submitted"] == "auto-replied"
    assert answer["In-Reply-To"] == "<a1@example.org>"
    assert "<a1@example.org>" in answer["References"]
    assert answer["From"].addresses[0].addr_spec == SUPPORT
    assert "Débranchez-la" in answer.get_body(("plain",)).get_content()

    mailbox.append(
        customer_mail(
            "C'est reparti, merci !\n\n> Débranchez-la dix secondes.",
            message_id="a2@example.org",
            subject=f"Re: {answer['Subject']}",
            In_Reply_To=answer["Message-ID"],
            References=f"<a1@example.org> {answer['Message-ID']}",
        )
    )
    mailbox.append(
        customer_mail("Bonjour, ma box clignote en rouge depuis hier.", message_id="a1@example.org")
    )  # the first mail again (a mail client's retry)
    mailbox.append(
        customer_mail(
            "Je suis absente jusqu'au 7 décembre.",
            message_id="a3@example.org",
            subject="Réponse automatique : Re: Box en panne",
            Auto_Submitted="auto-replied",
        )
    )

    report = poll()

    assert (report.delivered, report.left_for_retry) == (3, 0)
    assert Conversation.objects.count() == 1
    customer_messages = conversation.messages.filter(author=Author.CUSTOMER).order_by("id")
    assert [m.text.splitlines()[0] for m in customer_messages][-1] == "C'est reparti, merci !"
    assert customer_messages.count() == 2
    assert EmailRecord.objects.filter(direction=Direction.INBOUND).count() == 2
    run_due()
    assert len(sent_to_customer(smtp_sink)) == 2  # no answer to the auto-reply nor the duplicate


def test_mail_fetched_while_the_database_is_down_stays_on_the_server_until_it_is_back(
    mailbox: ImapServer, smtp_sink: SmtpSink
) -> None:
    mailbox.append(customer_mail("Plus de télévision.", message_id="b1@example.org"))

    def down(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("server closed the connection unexpectedly")

    with connection.execute_wrapper(down):
        report = poll()

    assert (report.delivered, report.left_for_retry) == (0, 1)
    (waiting,) = mailbox.messages("INBOX")
    assert "\\Seen" not in waiting.flags
    assert not Conversation.objects.exists()

    out = io.StringIO()
    call_command("fetch_mail", stdout=out)  # the next poll (`ponton fetch-mail`), the database back

    assert json.loads(out.getvalue().splitlines()[-1])["delivered"] == 1
    assert Conversation.objects.get().messages.filter(author=Author.CUSTOMER).count() == 1
