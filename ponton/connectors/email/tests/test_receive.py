"""Mail in: `ponton receive-email` on the corpus, threading, the human queue, acknowledgements,
bounces, and mail that must never be taken for a customer's or an agent's."""

from __future__ import annotations

import io
import json
import re
import sys
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
import yaml
from django.core import mail as outbox
from django.core.management import call_command
from django.db import OperationalError, connection
from django.test import Client

from ponton.accounts.models import Role, User
from ponton.conftest import KB
from ponton.connectors.email import addressing, inbound, outbound
from ponton.connectors.email.models import Delivery, Direction, EmailRecord, FailingAddress
from ponton.conversations import lifecycle
from ponton.conversations.models import Author, Conversation, HandoffReason, State, Status
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.tasks.services import run_due

MAILS = Path(__file__).parent / "mails"
PARIS = ZoneInfo("Europe/Paris")
EXPECTED: dict[str, dict[str, Any]] = yaml.safe_load((MAILS / "expected.yaml").read_text("utf-8"))

# Real commits: acknowledgements and answers are queued when their transaction commits.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def support_address(settings: Any) -> None:
    settings.PONTON_SUPPORT_EMAIL = "support@support.example.com"


def receive_email(raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, Any]]:
    """Run `ponton receive-email` with `raw` on standard input: its exit code and last line."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    out = io.StringIO()
    code = 0
    try:
        call_command("receive_email", stdout=out, stderr=io.StringIO())
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, json.loads(out.getvalue().strip().splitlines()[-1])


def mail(
    text: str = "Bonjour,\n\nMa box ne se connecte plus depuis ce matin.\n",
    *,
    sender: str = "Claire Dubois <claire@example.org>",
    subject: str = "Plus d'internet",
    message_id: str = "m1@example.org",
    **headers: str,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@support.example.com"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message.set_content(text)  # before the headers: it replaces every Content-* header
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    return message.as_bytes()


# The corpus -------------------------------------------------------------------------------


def test_every_mail_of_the_corpus_is_received_as_expected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The corpus's forged mail borrows this advisor's address.
    User.objects.create(username="amina", email="agent@support.example.com", role=Role.AGENT)
    seen: dict[str, dict[str, Any]] = {}
    for name, expected in EXPECTED.items():
        code, line = receive_email((MAILS / name).read_bytes(), monkeypatch)
        outcome = expected["outcome"]
        if outcome == "unparseable":
            assert (code, line["status"]) == (65, "unparseable"), name
            continue
        assert (code, line["status"]) == (0, outcome), (name, line)
        if "after" in expected:
            assert line["conversation"] == seen[expected["after"]]["conversation"], name
        if outcome == "duplicate":
            assert line["message"] == seen[expected["after"]]["message"], name
        if outcome in ("created", "appended"):
            record = EmailRecord.objects.get(message_id=line["message"])
            assert record.message.channel == "email"
            for part in expected.get("clean_text_contains", []):
                # A very long mail is cut for reading; the whole text stays with it.
                assert part in record.message.text or part in record.full_text, (name, part)
        seen[name] = line

    assert sum(e["outcome"] == "ignored" for e in EXPECTED.values()) >= 8
    # Nothing ignored was kept or answered: one acknowledgement per new, trusted request.
    run_due(limit=100)
    assert EmailRecord.objects.filter(direction=Direction.INBOUND).count() == sum(
        e["outcome"] in ("created", "appended") for e in EXPECTED.values()
    )
    assert len(outbox.outbox) == Conversation.objects.filter(customer__isnull=False).count()


def test_a_mail_that_is_not_a_mail_exits_65_so_the_mta_bounces_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert receive_email(b"\x00\x01 garbage", monkeypatch)[0] == 65
    assert Conversation.objects.count() == 0


# The human queue and the acknowledgement ---------------------------------------------------


def test_a_new_email_goes_to_a_person_with_its_signals_read_first(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, line = receive_email(
        mail("C'est INADMISSIBLE, troisième fois que j'écris, je veux une réponse !"),
        monkeypatch,
    )

    assert (code, line["status"]) == (0, "created")
    conversation = Conversation.objects.get(pk=line["conversation"])
    assert (conversation.channel, conversation.state) == ("email", State.WAITING_HUMAN)
    assert conversation.handoff_reason == HandoffReason.EMOTION
    assert conversation.priority <= 2
    assert conversation.customer is not None
    assert conversation.customer.email == "claire@example.org"
    assert conversation.customer.role == Role.CUSTOMER
    assert not conversation.messages.filter(author=Author.ASSISTANT).exists()


def test_a_known_customer_is_linked_and_a_calm_email_still_waits_for_a_person(
    customer: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, line = receive_email(mail(sender=customer.email), monkeypatch)

    conversation = Conversation.objects.get(pk=line["conversation"])
    assert conversation.customer == customer
    assert conversation.state == State.WAITING_HUMAN
    assert conversation.handoff_reason == HandoffReason.HUMAN_CHANNEL
    assert User.objects.filter(email__iexact=customer.email).count() == 1


@time_machine.travel(datetime(2026, 12, 8, 10, 0, tzinfo=PARIS), tick=False)  # a Tuesday, open
def test_the_acknowledgement_says_when_a_person_answers_and_is_marked_automatic(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _code, line = receive_email(mail(), monkeypatch)
    run_due()

    (ack,) = outbox.outbox
    sent = message_from_bytes(ack.message().as_bytes(), policy=policy.default)
    assert sent["Auto-Submitted"] == "auto-replied"
    assert sent["In-Reply-To"] == "<m1@example.org>"
    assert sent["To"] == "claire@example.org"
    assert str(line["conversation"]) in sent["Subject"]
    assert "Un conseiller vous répondra pendant nos heures d'ouverture" in ack.body
    assert "/email/solved/" not in ack.body  # no likely article: no one-click close


@time_machine.travel(datetime(2026, 12, 6, 10, 0, tzinfo=PARIS), tick=False)  # a Sunday
def test_on_a_closed_day_the_acknowledgement_says_when_advisors_are_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    receive_email(mail(), monkeypatch)
    run_due()

    (ack,) = outbox.outbox
    assert "Nos conseillers sont absents jusqu'au lundi 7 décembre" in ack.body


def test_a_confident_answer_rides_with_the_acknowledgement_and_one_click_closes_it(
    kb: KB, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    _code, line = receive_email(
        mail("Bonjour, j'ai oublié mon mot de passe, comment faire ?", subject="Mot de passe"),
        monkeypatch,
    )
    run_due()
    conversation = Conversation.objects.get(pk=line["conversation"])
    assert conversation.state == State.WAITING_HUMAN  # the article never replaces the person

    (ack,) = outbox.outbox
    assert kb.password_fr.title in ack.body
    solved_url = next(w for w in ack.body.split() if "/email/solved/" in w)
    path = solved_url.split("://", 1)[1].partition("/")[2]

    page = client.get(f"/{path}")  # a mail scanner opening the link changes nothing
    assert page.status_code == 200
    assert b"data-human-exit" in page.content
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_HUMAN

    client.post(f"/{path}")
    conversation.refresh_from_db()
    assert (conversation.state, conversation.status) == (State.CLOSED, Status.SOLVED)
    resolved = JourneyEvent.objects.get(kind=EventKind.SELFCARE_RESOLVED)
    assert resolved.data == {
        "conversation": conversation.pk,
        "article": kb.password.pk,
        "how": "email_link",
    }


def test_a_solved_link_that_was_tampered_with_is_a_404(client: Client, customer: User) -> None:
    assert client.get("/fr/email/solved/not-a-token/").status_code == 404


def _solved_path() -> str:
    (ack,) = [m for m in outbox.outbox if "/email/solved/" in m.body]
    url = next(w for w in ack.body.split() if "/email/solved/" in w)
    return "/" + url.split("://", 1)[1].partition("/")[2]


def test_a_solved_link_never_closes_what_the_customer_wrote_after_it(
    kb: KB, monkeypatch: pytest.MonkeyPatch, client: Client
) -> None:
    _code, first = receive_email(
        mail("Bonjour, j'ai oublié mon mot de passe, comment faire ?"), monkeypatch
    )
    run_due()
    path = _solved_path()
    receive_email(
        mail(
            "Et aussi, ma facture est fausse.",
            message_id="m7@example.org",
            In_Reply_To="<m1@example.org>",
        ),
        monkeypatch,
    )

    page = client.post(path)

    conversation = Conversation.objects.get(pk=first["conversation"])
    assert conversation.state == State.WAITING_HUMAN
    assert "Yes, it solved" not in page.content.decode() and "Oui" not in page.content.decode()


def test_customers_on_the_support_addresss_own_provider_are_heard(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PONTON_SUPPORT_EMAIL = "boutique.lumiere@gmail.com"
    _code, line = receive_email(mail(sender="claire.dubois@gmail.com"), monkeypatch)
    assert line["status"] == "created"

    _code, line = receive_email(
        mail(sender="boutique.lumiere+c1.abc@gmail.com", message_id="loop@example.org"),
        monkeypatch,
    )
    assert line["status"] == "ignored"  # our own address: a loop


def test_the_original_email_is_downloaded_only_by_staff_who_may_see_the_conversation(
    monkeypatch: pytest.MonkeyPatch,
    client: Client,
    agent: User,
    other_team_agent: User,
    customer: User,
    password: str,
) -> None:
    _code, line = receive_email(mail(), monkeypatch)
    conversation = Conversation.objects.get(pk=line["conversation"])
    lifecycle.assign(conversation, to=agent, team=agent.teams.first(), by=agent)
    record = EmailRecord.objects.get(message_id=line["message"])
    url = f"/fr/email/original/{record.pk}/"

    client.force_login(agent)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "message/rfc822"
    assert b"".join(response.streaming_content) == mail()

    client.force_login(other_team_agent)
    assert client.get(url).status_code == 404
    client.force_login(customer)
    assert client.get(url).status_code in (403, 404)
    client.logout()
    assert client.get(url).status_code in (302, 403, 404)


# Threading ---------------------------------------------------------------------------------


def _answered_by_agent(line: dict[str, Any], agent: User) -> EmailMessage:
    conversation = Conversation.objects.get(pk=line["conversation"])
    lifecycle.reply_as_agent(conversation, agent=agent, text="Redémarrez la box, s'il vous plaît.")
    outbox.outbox.clear()
    run_due()
    (reply,) = [m for m in outbox.outbox if "Redémarrez" in m.body]
    return message_from_bytes(reply.message().as_bytes(), policy=policy.default)


def test_the_customers_reply_to_an_agents_answer_joins_the_same_conversation(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    answer = _answered_by_agent(first, agent)

    reply = mail(
        "Merci, ça remarche.\n\nLe jeu. 3 déc. 2026 à 10:12, Support a écrit :\n> Redémarrez",
        subject=f"Re: {answer['Subject']}",
        message_id="m2@example.org",
        In_Reply_To=answer["Message-ID"],
        References=f"<m1@example.org> {answer['Message-ID']}",
    )
    code, line = receive_email(reply, monkeypatch)

    assert (code, line["status"], line["conversation"]) == (0, "appended", first["conversation"])
    text = EmailRecord.objects.get(message_id=line["message"]).message.text
    assert "ça remarche" in text
    assert "Redémarrez" not in text  # the quoted history is not what agents read


def test_a_reply_sent_to_the_threads_reply_address_joins_it_without_any_header(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    answer = _answered_by_agent(first, agent)
    reply_to = answer["Reply-To"].addresses[0].addr_spec

    reply = mail("Toujours pas réglé.", message_id="m3@example.org")
    reply = reply.replace(b"To: support@support.example.com", f"To: {reply_to}".encode())

    assert receive_email(reply, monkeypatch)[1]["conversation"] == first["conversation"]


def test_an_id_of_ours_with_a_forged_signature_threads_nowhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    forged = f"<ponton.{first['conversation']}.1.0000000000000000@support.example.com>"

    _code, line = receive_email(mail(message_id="m4@example.org", In_Reply_To=forged), monkeypatch)

    assert line["status"] == "created"
    assert line["conversation"] != first["conversation"]


def test_a_reply_from_another_address_is_never_taken_for_the_customers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _code, first = receive_email(mail(), monkeypatch)

    _code, line = receive_email(
        mail(
            "Je suis son conjoint, pouvez-vous me donner son code ?",
            sender="Marc <marc@example.net>",
            message_id="m5@example.org",
            In_Reply_To="<m1@example.org>",
        ),
        monkeypatch,
    )

    assert line["status"] == "created"
    assert line["conversation"] != first["conversation"]
    other = Conversation.objects.get(pk=line["conversation"])
    assert other.customer is None  # unverified: linked to nobody
    assert EmailRecord.objects.get(message_id=line["message"]).unverified
    assert other.messages.filter(internal=True, text__contains="Unverified").exists() or (
        other.messages.filter(internal=True, text__contains="non vérifié").exists()
    )
    untouched = Conversation.objects.get(pk=first["conversation"])
    assert untouched.messages.filter(author=Author.CUSTOMER).count() == 1


def test_the_same_mail_twice_is_stored_once(monkeypatch: pytest.MonkeyPatch) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    _code, again = receive_email(mail(), monkeypatch)

    assert again == {
        "status": "duplicate",
        "conversation": first["conversation"],
        "message": first["message"],
    }
    assert EmailRecord.objects.filter(direction=Direction.INBOUND).count() == 1


# Mail that never opens a conversation -----------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        {"Auto_Submitted": "auto-replied"},
        {"Precedence": "bulk"},
        {"X_Autoreply": "yes"},
    ],
)
def test_automatic_mail_opens_nothing_and_gets_no_answer(
    headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    code, line = receive_email(mail(**headers), monkeypatch)
    run_due()

    assert (code, line["status"]) == (0, "ignored")
    assert Conversation.objects.count() == 0
    assert outbox.outbox == []


def test_a_mail_from_a_staff_address_is_never_recorded_as_an_agents_reply(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, line = receive_email(mail(sender=agent.email), monkeypatch)

    assert line["status"] == "ignored"
    assert not Conversation.objects.exists()


def test_a_bounce_marks_the_address_as_failing_and_tells_the_agent(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    answer = _answered_by_agent(first, agent)
    bounce = (MAILS / "21-postfix-bounce.eml").read_bytes()
    expected = EXPECTED["21-postfix-bounce.eml"]
    bounce = re.sub(
        re.escape(expected["bounced_recipients"][0]).encode(),
        b"claire@example.org",
        bounce.replace(
            expected["bounced_message_id"].encode(), answer["Message-ID"].strip("<>").encode()
        ),
        flags=re.IGNORECASE,
    )

    _code, line = receive_email(bounce, monkeypatch)

    assert (line["status"], line["conversation"]) == ("ignored", first["conversation"])
    assert FailingAddress.objects.filter(address="claire@example.org").exists()
    record = EmailRecord.objects.get(internet_message_id=answer["Message-ID"].strip("<>"))
    assert record.delivery == Delivery.BOUNCED
    note = Conversation.objects.get(pk=first["conversation"]).messages.filter(internal=True)
    assert note.filter(text__contains="claire@example.org").exists()


# Files and the original ------------------------------------------------------------------


def test_attached_files_are_stored_with_the_portals_checks_and_the_original_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    raw = (MAILS / "09-html-pdf-attachment.eml").read_bytes()
    _code, line = receive_email(raw, monkeypatch)

    record = EmailRecord.objects.get(message_id=line["message"])
    names = list(record.message.attachments.values_list("name", flat=True))
    assert names == EXPECTED["09-html-pdf-attachment.eml"]["attachments"]
    with record.original.open("rb") as original:
        assert original.read() == raw


def test_a_file_we_do_not_accept_is_named_for_the_agent_not_dropped_silently(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    message = EmailMessage()
    message["From"] = "claire@example.org"
    message["To"] = "support@support.example.com"
    message["Subject"] = "Mon script"
    message["Message-ID"] = "<m9@example.org>"
    message.set_content("Voici le fichier.")
    message.add_attachment(
        b"MZ\x90\x00binary", maintype="application", subtype="octet-stream", filename="setup.exe"
    )

    _code, line = receive_email(message.as_bytes(), monkeypatch)

    conversation = Conversation.objects.get(pk=line["conversation"])
    assert not conversation.messages.filter(attachments__isnull=False).exists()
    assert conversation.messages.filter(internal=True, text__contains="setup.exe").exists()


# Faults ----------------------------------------------------------------------------------


def test_when_the_database_is_unavailable_the_mta_is_told_to_retry_and_nothing_is_half_stored(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def unavailable(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        raise OperationalError("could not connect to server: Connection refused")

    with connection.execute_wrapper(unavailable):
        code, line = receive_email(mail(), monkeypatch)
    assert (code, line["status"]) == (75, "temporary_failure")
    assert not Conversation.objects.exists()

    code, line = receive_email(mail(), monkeypatch)  # the MTA's retry
    assert (code, line["status"]) == (0, "created")
    assert EmailRecord.objects.count() == 1


def test_an_outgoing_mail_that_cannot_leave_is_retried_then_shown_to_the_agent(
    agent: User, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    run_due()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_USE_TLS = "127.0.0.1", 9, False
    conversation = Conversation.objects.get(pk=first["conversation"])
    message = lifecycle.reply_as_agent(conversation, agent=agent, text="Voici la réponse.")

    inbound_tasks_due_now()
    run_due()
    record = EmailRecord.objects.get(message=message)
    assert (record.delivery, record.attempts) == (Delivery.RETRYING, 1)  # shown, and retried
    for _attempt in range(outbound.MAX_ATTEMPTS - 1):
        inbound_tasks_due_now()
        run_due()
    record.refresh_from_db()
    assert (record.delivery, record.attempts) == (Delivery.FAILED, outbound.MAX_ATTEMPTS)
    assert "Connection" in record.last_error or "refused" in record.last_error.lower()
    note = conversation.messages.filter(internal=True, text__contains=str(outbound.MAX_ATTEMPTS))
    assert note.exists()


def inbound_tasks_due_now() -> None:
    """Skip the backoff: the retries are due at once."""
    from django.utils import timezone

    from ponton.tasks.models import Task, TaskStatus

    Task.objects.filter(status=TaskStatus.PENDING).update(run_after=timezone.now())


def test_internal_notes_never_leave_by_email(agent: User, monkeypatch: pytest.MonkeyPatch) -> None:
    _code, first = receive_email(mail(), monkeypatch)
    run_due()
    outbox.outbox.clear()
    conversation = Conversation.objects.get(pk=first["conversation"])

    lifecycle.reply_as_agent(conversation, agent=agent, text="Client fragile", internal=True)
    run_due()

    assert outbox.outbox == []


def test_replies_leave_from_the_support_address_in_the_customers_language_with_both_parts(
    agent: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    english = mail(
        "Hello, my router keeps rebooting every hour.",
        subject="Router reboots",
        Content_Language="en",
    )
    _code, first = receive_email(english, monkeypatch)
    answer = _answered_by_agent(first, agent)

    assert answer["From"].addresses[0].addr_spec == "support@support.example.com"
    assert answer["Message-ID"].startswith(f"<ponton.{first['conversation']}.")
    assert answer["In-Reply-To"] == "<m1@example.org>"
    assert "<m1@example.org>" in answer["References"]
    assert "Auto-Submitted" not in answer  # a person wrote it
    assert answer.get_content_type() == "multipart/alternative"
    plain = answer.get_body(("plain",))
    html = answer.get_body(("html",))
    assert plain is not None and html is not None
    assert "Reply to this email" in plain.get_content()
    assert (
        addressing.conversation_named_by([answer["Message-ID"].strip("<>")], [])
        == (first["conversation"])
    )


def test_inbound_outcome_as_json_carries_the_reason_only_when_there_is_one() -> None:
    assert inbound.Outcome("created", 1, 2).as_json() == {
        "status": "created",
        "conversation": 1,
        "message": 2,
    }


def test_an_unexpected_failure_asks_the_mta_to_retry_rather_than_bounce(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def broken(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if sql.lstrip().upper().startswith("INSERT"):
            raise RuntimeError("disk full")
        return execute(sql, params, many, context)

    with connection.execute_wrapper(broken):
        code, line = receive_email(mail(), monkeypatch)

    assert (code, line["status"]) == (75, "temporary_failure")
    assert not Conversation.objects.exists()
