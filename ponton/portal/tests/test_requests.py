"""My requests: the list, the full history, replies with files, and who may see what."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.test import Client
from django.utils.html import escape

from ponton.accounts.models import User
from ponton.conftest import has_human_exit
from ponton.conversations.lifecycle import (
    hand_off,
    mark_resolved,
    merge,
    open_conversation,
    reply_as_agent,
    set_status,
)
from ponton.conversations.models import (
    Attachment,
    Author,
    Conversation,
    ConversationChannel,
    HandoffReason,
    State,
    Status,
)
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.portal import services
from ponton.portal.tests.conftest import PDF, PNG, give_to_team, open_request, png

HOME = "/fr/account/"
# Session, user, requests in progress, how many are solved (none here: no page of them to
# read), surveys to answer, calls planned: whatever the number of requests.
HOME_QUERIES = 6


def detail(conversation: Conversation) -> str:
    return f"/fr/account/requests/{conversation.pk}/"


def signed_in(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


# Listing ----------------------------------------------------------------------------------


def test_the_customer_sees_her_requests_with_where_they_stand(
    client: Client, customer: User, other_customer: User
) -> None:
    mine = open_request(customer, "Ma box ne s'allume plus.")
    open_request(other_customer, "Facture professionnelle erronée.")

    response = signed_in(client, customer).get(HOME)

    assert response.status_code == 200
    assert [c.pk for c in response.context["current"]] == [mine.pk]
    html = response.content.decode()
    assert escape("Ma box ne s'allume plus.") in html
    assert "Facture professionnelle" not in html
    assert escape("En attente d'un conseiller") in html
    assert has_human_exit(html)


def test_a_request_merged_into_another_is_not_listed_twice(
    client: Client, customer: User, agent: User
) -> None:
    original, duplicate = open_request(customer), open_request(customer, "Toujours pas de box.")
    merge(duplicate, into=original, by=agent)

    response = signed_in(client, customer).get(HOME)

    assert [c.pk for c in response.context["current"]] == [original.pk]
    follow = client.get(detail(duplicate))
    assert follow.status_code == 302
    assert follow["Location"] == detail(original)


def test_the_list_of_requests_costs_the_same_queries_for_one_or_many(
    client: Client, customer: User, django_assert_num_queries: Any
) -> None:
    open_request(customer)
    signed_in(client, customer)
    client.get(HOME)  # the session is warm
    with django_assert_num_queries(HOME_QUERIES):
        client.get(HOME)
    for n in range(4):
        open_request(customer, f"Encore une demande {n}")
    with django_assert_num_queries(HOME_QUERIES):
        assert len(client.get(HOME).context["current"]) == 5


def test_chats_that_stayed_with_the_assistant_are_selfcare_not_requests(
    client: Client, customer: User
) -> None:
    selfcare = open_conversation(
        channel=ConversationChannel.CHAT, first_message="mot de passe oublié", customer=customer
    ).conversation
    mark_resolved(selfcare, article=None, how="confirmed")
    handed = open_conversation(
        channel=ConversationChannel.CHAT,
        first_message="Je veux parler à quelqu'un",
        customer=customer,
        wants_person=True,
    ).conversation

    response = signed_in(client, customer).get(HOME)

    assert [c.pk for c in response.context["current"]] == [handed.pk]
    assert not response.context["past"].object_list


def test_requests_in_progress_come_first_and_solved_ones_are_paged(
    client: Client, customer: User, agent: User
) -> None:
    waiting = open_request(customer, "Toujours en attente")
    solved = []
    for n in range(12):
        request = open_request(customer, f"Demande réglée {n}")
        set_status(request, status=Status.SOLVED, by=agent)
        solved.append(request.pk)
    signed_in(client, customer)

    first = client.get(HOME)
    second = client.get(HOME + "?page=2")

    assert [c.pk for c in first.context["current"]] == [waiting.pk]
    assert [c.pk for c in first.context["past"]] == solved[::-1][:10]
    assert [c.pk for c in second.context["past"]] == solved[::-1][10:]
    html = first.content.decode()
    assert "En cours" in html and "Réglées et clôturées" in html and "Page 1 sur 2" in html
    assert 'href="?page=2#past-title"' in html


def test_anonymous_visitors_are_sent_to_sign_in_from_every_page(
    client: Client, claires_request: Conversation
) -> None:
    for path in (
        HOME,
        detail(claires_request),
        "/fr/account/preferences/",
        "/fr/account/callback/",
        "/fr/account/export/",
        "/fr/account/surveys/1/",
        "/fr/account/callback/1/",
        "/fr/account/files/1/",
    ):
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/fr/accounts/login/?next="), path


def test_staff_have_no_customer_space(client: Client, agent: User) -> None:
    assert signed_in(client, agent).get(HOME).status_code == 403


# One request ------------------------------------------------------------------------------


def test_the_history_shows_every_message_but_the_agents_notes(
    client: Client, customer: User, agent: User, claires_request: Conversation
) -> None:
    reply_as_agent(claires_request, agent=agent, text="Pouvez-vous redémarrer la box ?")
    reply_as_agent(claires_request, agent=agent, text="Client déjà rappelé 3 fois", internal=True)

    response = signed_in(client, customer).get(detail(claires_request))

    assert response.status_code == 200
    html = response.content.decode()
    assert escape("Ma box ne s'allume plus depuis hier.") in html
    assert "Pouvez-vous redémarrer la box ?" in html
    assert "Karim" in html
    assert "déjà rappelé" not in html
    assert all(not m.internal for m in response.context["thread"])
    assert has_human_exit(html)


def test_customer_cannot_read_another_customers_request(
    client: Client, other_customer: User, claires_request: Conversation
) -> None:
    response = signed_in(client, other_customer).get(detail(claires_request))
    missing = client.get("/fr/account/requests/999999/")

    assert response.status_code == missing.status_code == 404
    assert "Ma box" not in response.content.decode()


def test_customer_cannot_reply_to_another_customers_request(
    client: Client, other_customer: User, claires_request: Conversation
) -> None:
    response = signed_in(client, other_customer).post(
        detail(claires_request), {"text": "Je m'incruste"}
    )
    assert response.status_code == 404
    assert not claires_request.messages.filter(text="Je m'incruste").exists()


def test_access_helper_says_the_same_404_for_missing_and_not_yours(
    customer: User, other_customer: User, claires_request: Conversation
) -> None:
    assert services.access_customer_conversation(customer, claires_request.pk) == claires_request
    for user, pk in ((other_customer, claires_request.pk), (customer, 999999)):
        with pytest.raises(Http404):
            services.access_customer_conversation(user, pk)


# Replying --------------------------------------------------------------------------------


def test_a_reply_with_a_file_is_stored_and_reaches_the_request(
    client: Client, customer: User, claires_request: Conversation, attachments_dir: Path
) -> None:
    response = signed_in(client, customer).post(
        detail(claires_request),
        {"text": "Voici la photo du voyant.", "attachments": [png("voyant.png")]},
    )

    assert response.status_code == 302
    message = claires_request.messages.get(text="Voici la photo du voyant.")
    assert message.author == Author.CUSTOMER
    attachment = message.attachments.get()
    assert (attachment.name, attachment.content_type, attachment.size) == (
        "voyant.png",
        "image/png",
        len(PNG),
    )
    stored = Path(attachment.file.path)
    assert stored.read_bytes() == PNG
    assert stored.is_relative_to(attachments_dir)
    assert "voyant" not in stored.name  # stored under a random name
    for public in (settings.MEDIA_ROOT, settings.STATIC_ROOT):
        assert not stored.is_relative_to(Path(public))
    assert JourneyEvent.objects.filter(
        kind=EventKind.MESSAGE, customer=customer, data__message=message.pk
    ).exists()


def test_a_reply_can_be_only_files(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    signed_in(client, customer).post(
        detail(claires_request), {"text": "", "attachments": [png("a.png"), png("b.png")]}
    )
    message = claires_request.messages.order_by("id").last()
    assert message is not None
    assert message.attachments.count() == 2
    assert "a.png, b.png" in message.text


def test_an_empty_reply_is_refused_with_a_message(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    before = claires_request.messages.count()
    response = signed_in(client, customer).post(detail(claires_request), {"text": "  "})
    assert response.status_code == 400
    assert "Écrivez un message ou joignez un fichier." in response.content.decode()
    assert claires_request.messages.count() == before


def test_the_same_reply_sent_twice_is_stored_once(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    signed_in(client, customer)
    form = {"text": "Double clic", "client_msg_id": "reply-1"}
    client.post(detail(claires_request), form)
    client.post(detail(claires_request), form)
    assert claires_request.messages.filter(text="Double clic").count() == 1


def test_a_reply_to_a_solved_request_goes_back_to_the_advisor_who_handled_it(
    customer: User, agent: User, claires_request: Conversation
) -> None:
    reply_as_agent(claires_request, agent=agent, text="C'est réparé.")
    set_status(claires_request, status=Status.SOLVED, by=agent)

    services.reply_to_request(
        claires_request,
        customer=customer,
        reply=services.Reply(text="En fait non, ça recommence.", files=[]),
    )

    claires_request.refresh_from_db()
    assert claires_request.state == State.WITH_HUMAN
    assert claires_request.status == Status.OPEN
    assert claires_request.assignee == agent


def test_a_reply_to_a_request_selfcare_resolved_goes_to_a_person_with_the_context(
    customer: User,
) -> None:
    chat = open_conversation(
        channel="chat", first_message="mot de passe oublié", customer=customer
    ).conversation
    mark_resolved(chat, article=None, how="confirmed")

    services.reply_to_request(
        chat, customer=customer, reply=services.Reply(text="Le lien ne marche pas.", files=[])
    )

    chat.refresh_from_db()
    assert chat.state == State.WAITING_HUMAN
    assert chat.handoff_reason == HandoffReason.CUSTOMER_REQUEST
    assert [t["text"] for t in chat.context["transcript"]][-1] == "Le lien ne marche pas."
    assert JourneyEvent.objects.filter(kind=EventKind.HANDOFF, data__by="customer").exists()


def test_a_reply_to_a_request_waiting_for_an_advisor_only_adds_the_message(
    customer: User, claires_request: Conversation
) -> None:
    handoffs = JourneyEvent.objects.filter(kind=EventKind.HANDOFF).count()
    services.reply_to_request(
        claires_request, customer=customer, reply=services.Reply(text="Précision.", files=[])
    )
    claires_request.refresh_from_db()
    assert claires_request.state == State.WAITING_HUMAN
    assert JourneyEvent.objects.filter(kind=EventKind.HANDOFF).count() == handoffs


def test_a_reply_to_a_chat_still_with_the_assistant_goes_to_a_person(customer: User) -> None:
    chat = open_conversation(
        channel="chat", first_message="Bonjour", customer=customer
    ).conversation
    services.reply_to_request(
        chat, customer=customer, reply=services.Reply(text="Un humain svp.", files=[])
    )
    chat.refresh_from_db()
    assert chat.state == State.WAITING_HUMAN
    assert chat.person_requests == 1


# Attachment checks --------------------------------------------------------------------------


def _reply_with(client: Client, conversation: Conversation, *files: Any) -> str:
    response = client.post(detail(conversation), {"text": "PJ", "attachments": list(files)})
    assert response.status_code == 400, response.status_code
    assert not conversation.messages.filter(text="PJ").exists()
    assert not Attachment.objects.exists()
    return response.content.decode()


def test_a_program_disguised_as_a_pdf_is_refused(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    exe = SimpleUploadedFile("facture.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64)
    html = _reply_with(signed_in(client, customer), claires_request, exe)
    assert escape("«\u00a0facture.pdf\u00a0» n'est pas un type de fichier accepté") in html
    assert "PDF, PNG, JPEG, GIF, WebP, TXT" in html


def test_an_image_named_as_a_web_page_is_refused(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    html = _reply_with(signed_in(client, customer), claires_request, png("page.html"))
    assert "contient un fichier PNG" in html


def test_a_file_over_the_size_limit_is_refused(
    client: Client, settings: Any, customer: User, claires_request: Conversation
) -> None:
    settings.PONTON_ATTACHMENT_MAX_BYTES = 2 * 1024 * 1024
    big = SimpleUploadedFile("scan.pdf", PDF + b"0" * (3 * 1024 * 1024))
    html = _reply_with(signed_in(client, customer), claires_request, big)
    assert "trop volumineux (3\u00a0Mo)" in html
    assert escape("jusqu'à 2\u00a0Mo") in html


def test_too_many_files_at_once_are_refused(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    html = _reply_with(
        signed_in(client, customer), claires_request, *[png(f"{n}.png") for n in range(6)]
    )
    assert "jusqu&#x27;à 5 fichiers" in html


def test_errors_are_in_english_on_english_pages(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    exe = SimpleUploadedFile("run.exe", b"MZ\x90\x00" + b"\x00" * 64)
    response = signed_in(client, customer).post(
        f"/en/account/requests/{claires_request.pk}/", {"text": "PJ", "attachments": [exe]}
    )
    assert response.status_code == 400
    assert "“run.exe” is not a file type we accept." in response.content.decode()


def test_plain_text_pdf_jpeg_gif_and_webp_are_accepted(
    customer: User, claires_request: Conversation
) -> None:
    files = [
        SimpleUploadedFile("notes.txt", "Numéro de série : 1234\n".encode()),
        SimpleUploadedFile("facture.PDF", PDF),
        SimpleUploadedFile("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 32),
        SimpleUploadedFile("anim.gif", b"GIF89a" + b"\x00" * 32),
        SimpleUploadedFile("img.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32),
    ]
    message = services.reply_to_request(
        claires_request, customer=customer, reply=services.Reply(text="Tout", files=files)
    )
    assert sorted(message.attachments.values_list("content_type", flat=True)) == [
        "application/pdf",
        "image/gif",
        "image/jpeg",
        "image/webp",
        "text/plain",
    ]


# Downloading files -----------------------------------------------------------------------------


@pytest.fixture
def claires_file(customer: User, claires_request: Conversation) -> Attachment:
    message = services.reply_to_request(
        claires_request,
        customer=customer,
        reply=services.Reply(text="Photo", files=[png("voyant.png")]),
    )
    return message.attachments.get()


def _download(client: Client, attachment: Attachment) -> Any:
    """The response with its file read to the end (which closes it, as a server does)."""
    response = client.get(f"/fr/account/files/{attachment.pk}/")
    if response.streaming:
        response.body = b"".join(response.streaming_content)
    return response


def test_the_customer_downloads_her_file_as_an_attachment_never_sniffed(
    client: Client, customer: User, claires_file: Attachment
) -> None:
    response = _download(signed_in(client, customer), claires_file)

    assert response.status_code == 200
    assert response.body == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'attachment; filename="voyant.png"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_customer_cannot_download_another_customers_file(
    client: Client, other_customer: User, claires_file: Attachment
) -> None:
    response = _download(signed_in(client, other_customer), claires_file)
    missing = client.get("/fr/account/files/999999/")
    assert response.status_code == missing.status_code == 404


def test_an_agent_in_scope_downloads_the_file_and_one_of_another_team_cannot(
    client: Client,
    agent: User,
    other_team_agent: User,
    supervisor: User,
    claires_request: Conversation,
    claires_file: Attachment,
) -> None:
    give_to_team(claires_request, agent.teams.get(), by=supervisor)

    assert _download(signed_in(client, agent), claires_file).status_code == 200
    assert _download(signed_in(client, supervisor), claires_file).status_code == 200
    assert _download(signed_in(client, other_team_agent), claires_file).status_code == 404


def test_the_agents_conversation_page_links_to_the_customers_file(
    client: Client, agent: User, claires_file: Attachment
) -> None:
    conversation = claires_file.message.conversation
    page = signed_in(client, agent).get(f"/fr/agent/c/{conversation.pk}/").content.decode()
    link = f'href="/fr/account/files/{claires_file.pk}/"'
    assert link in page
    assert _download(client, claires_file).body == PNG


def test_a_file_on_an_agents_note_is_never_served_to_the_customer(
    client: Client, customer: User, agent: User, claires_request: Conversation
) -> None:
    from ponton.conversations import attachments

    note = reply_as_agent(claires_request, agent=agent, text="Capture interne", internal=True)
    [internal_file] = attachments.store(note, attachments.check_uploads([png("interne.png")]))

    assert _download(signed_in(client, customer), internal_file).status_code == 404
    assert _download(signed_in(client, agent), internal_file).status_code == 200


def test_files_are_not_under_the_public_folders(claires_file: Attachment) -> None:
    path = Path(claires_file.file.path).resolve()
    assert not path.is_relative_to(Path(settings.MEDIA_ROOT).resolve())
    assert not path.is_relative_to(Path(settings.STATIC_ROOT).resolve())


def test_the_hand_off_of_a_reply_keeps_the_customer_out_of_the_agents_notes(
    customer: User, agent: User
) -> None:
    chat = open_conversation(
        channel="chat", first_message="Bonjour", customer=customer
    ).conversation
    hand_off(chat, reason=HandoffReason.CUSTOMER_REQUEST)
    reply_as_agent(chat, agent=agent, text="note", internal=True)
    assert all(not m.internal for m in services.history(chat))


# The callback slot is taken and booked at the same frozen instant.
@time_machine.travel(datetime(2030, 3, 5, 10, 0, tzinfo=ZoneInfo("Europe/Paris")), tick=False)
def test_every_page_of_the_customer_space_offers_a_person(
    client: Client, customer: User, claires_request: Conversation
) -> None:
    from ponton.conversations import surveys
    from ponton.portal.callbacks import callback_slots, request_callback

    slot = callback_slots()[0]
    callback = request_callback(customer, starts_at=slot.starts_at, phone="0611223344")
    survey = surveys.csat_for(claires_request)
    pages = [
        HOME,
        detail(claires_request),
        "/fr/account/preferences/",
        "/fr/account/callback/",
        f"/fr/account/callback/{callback.pk}/",
        surveys.survey_path(survey),
        "/fr/account/sign-in-link/",
    ]
    signed_in(client, customer)
    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        assert has_human_exit(response.content.decode()), path
    english = client.get(f"/en/account/requests/{claires_request.pk}/").content.decode()
    assert has_human_exit(english, "en")
