"""The workspace as agents meet it, in Chromium, in French: where they land after
signing in, the three columns, live updates, the keyboard, search, bulk actions,
a mention reaching a colleague, the packet in plain words, and the article
editor keeping its review date."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from ponton.accounts.models import Role, Team, User
from ponton.conftest import DESKTOP, KB, PASSWORD, PHONE, off_loop
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation, State
from ponton.knowledge.selectors import article_url
from ponton.knowledge.services import record_feedback

pytestmark = pytest.mark.browser

CHAT = "/api/v1/chat/conversations"


def _chat(text: str, *, customer: User | None = None) -> Conversation:
    return off_loop(_start_chat, text, customer)


def _start_chat(text: str, customer: User | None) -> Conversation:
    client = Client()
    if customer is not None:
        client.force_login(customer)
    response = client.post(CHAT, {"text": text, "lang": "fr"}, content_type="application/json")
    assert response.status_code == 201, response.content
    return Conversation.objects.get(pk=response.json()["id"])


def _customer_writes(conversation: Conversation, text: str) -> None:
    off_loop(_post_message, conversation, {"text": text})


def _post_message(conversation: Conversation, body: dict[str, Any]) -> None:
    response = Client().post(
        f"{CHAT}/{conversation.pk}/messages",
        body,
        content_type="application/json",
        HTTP_X_CONVERSATION_TOKEN=conversation.token,
    )
    assert response.status_code == 201


def _page(browser: Any, viewport: dict[str, int] = DESKTOP) -> Any:
    page = browser.new_context(viewport=viewport, locale="fr-FR").new_page()
    page.set_default_timeout(10_000)
    return page


def _sign_in(page: Any, server: str, username: str) -> None:
    """From the help center's own "Sign in" link, as staff do."""
    page.goto(f"{server}/fr/")
    page.get_by_role("link", name="Se connecter").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    from playwright.sync_api import expect

    expect(page.locator("[data-live-state]")).to_have_text("En direct")  # the page's script runs


@pytest.fixture
def front() -> Team:
    return Team.objects.get(slug="front")


@pytest.fixture
def waiting(kb: KB, agent: User, customer: User, front: Team) -> list[Conversation]:
    """Two customers waiting for the front team."""
    first = _chat("Je veux parler à un conseiller pour ma facture de novembre", customer=customer)
    second = _chat("Un conseiller svp, ma box clignote en rouge")
    for conversation in (first, second):
        off_loop(lifecycle.assign, conversation, to=None, team=front, by=None)
    return [first, second]


@pytest.fixture
def camille(agent: User, front: Team) -> User:
    user = User.objects.create_user(
        "camille", password=PASSWORD, first_name="Camille", last_name="Dupont", role=Role.AGENT
    )
    user.teams.add(front)
    return user


def test_staff_land_in_the_workspace_with_the_list_the_conversation_and_its_context_side_by_side(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User, artifacts: Path
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    expect(page).to_have_url(f"{asgi_server}/fr/agent/")
    expect(page.locator("footer")).to_have_count(0)  # not the help center's layout
    expect(page.locator("#top-q")).to_have_count(0)
    claire = page.locator(f"[data-conversation='{waiting[0].pk}']")
    expect(claire).to_contain_text("Claire Martin")
    expect(claire).to_contain_text("ma facture de novembre")  # the last message's preview
    expect(claire.locator(".r-wait")).to_be_visible()  # how long she has waited
    expect(claire).to_contain_text("non lu")

    claire.locator("a").click()
    expect(page.locator("h1")).to_contain_text("Claire Martin")
    columns = [page.locator(s).bounding_box() for s in (".ws-list", ".ws-conv", "[data-context]")]
    assert columns[0]["x"] < columns[1]["x"] < columns[2]["x"]  # left, middle, right
    assert all(abs(c["y"] - columns[0]["y"]) < 5 for c in columns)  # side by side
    expect(page.locator("[data-thread]")).to_contain_text("ma facture de novembre")
    expect(page.locator("[data-packet]")).to_contain_text("Le client a demandé un conseiller")
    expect(page.locator(f"[data-conversation='{waiting[0].pk}']")).not_to_contain_text("non lu")
    page.screenshot(path=str(artifacts / "workspace-desktop.png"))

    page.set_viewport_size(PHONE)  # a phone: one column, the list tucked away
    expect(page.locator(".ws-list")).to_be_hidden()
    expect(page.locator(".conv-head .back")).to_be_visible()
    page.screenshot(path=str(artifacts / "workspace-phone.png"), full_page=True)
    page.context.close()


def test_a_customer_message_appears_live_in_the_list_and_in_the_open_conversation(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    page.goto(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    expect(page.locator("[data-live-state]")).to_have_text("En direct")
    _customer_writes(waiting[0], "Je joins le numéro de facture : F-2024-118")
    _customer_writes(waiting[1], "Toujours rouge, je redémarre encore ?")
    expect(page.locator(".msg-customer").last).to_contain_text("F-2024-118")
    other = page.locator(f"[data-conversation='{waiting[1].pk}']")
    expect(other).to_contain_text("Toujours rouge")
    expect(other).to_contain_text("non lu")
    page.context.close()


def test_keyboard_shortcuts_assign_open_the_next_conversation_and_show_their_help(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    page.keyboard.press("j")  # the first conversation of the queue
    expect(page).to_have_url(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    page.keyboard.press("a")
    expect(page.locator("[data-head]")).to_contain_text("Attribuée à vous")
    waiting[0].refresh_from_db()
    assert waiting[0].assignee == agent
    page.keyboard.press("r")
    expect(page.locator("[data-reply]")).to_be_focused()
    page.keyboard.type("j k a s")  # typing in the reply never triggers a shortcut
    page.keyboard.press("Escape")
    assert page.url.endswith(f"/c/{waiting[0].pk}/")
    page.keyboard.press("?")
    expect(page.get_by_role("dialog")).to_contain_text("Raccourcis clavier")
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog")).to_be_hidden()
    page.keyboard.press("j")
    expect(page).to_have_url(f"{asgi_server}/fr/agent/c/{waiting[1].pk}/")
    page.context.close()


def test_a_draft_is_kept_when_the_agent_leaves_and_comes_back(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    page.goto(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    page.fill("[data-reply]", "Bonjour Claire, je regarde votre facture")
    page.wait_for_timeout(500)  # the draft is written a moment after typing stops
    page.goto(f"{asgi_server}/fr/agent/c/{waiting[1].pk}/")
    expect(page.locator("[data-reply]")).to_have_value("")
    page.goto(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    expect(page.locator("[data-reply]")).to_have_value("Bonjour Claire, je regarde votre facture")
    page.get_by_role("button", name="Envoyer").click()
    expect(page.locator(".msg-agent")).to_contain_text("je regarde votre facture")
    expect(page.locator("[data-reply]")).to_have_value("")
    page.context.close()


def test_search_finds_a_conversation_by_the_customers_name(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    page.keyboard.press("/")
    expect(page.locator("[data-search]")).to_be_focused()
    page.keyboard.type("claire martin")
    page.keyboard.press("Enter")
    results = page.locator("[data-results]")
    expect(results.locator(f"[data-conversation='{waiting[0].pk}']")).to_be_visible()
    expect(results.locator(f"[data-conversation='{waiting[1].pk}']")).to_have_count(0)
    expect(page.locator(".people")).to_contain_text("40012345")
    page.context.close()


def test_bulk_assign_gives_every_ticked_conversation_to_the_agent(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User
) -> None:
    from playwright.sync_api import expect

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    bar = page.locator("[data-bulk]")
    expect(bar.locator("select[name=assignee]")).to_be_hidden()  # nothing ticked yet
    for conversation in waiting:
        page.locator(f"[data-conversation='{conversation.pk}'] [data-select]").check()
    expect(bar).to_contain_text("2 sélectionnées")
    bar.locator("select[name=assignee]").select_option("me")
    bar.locator("input[name=tag]").fill("Rappel demain")
    bar.get_by_role("button", name="Appliquer").click()
    expect(page.locator(".flash")).to_contain_text("2 conversations mises à jour")
    for conversation in waiting:
        conversation.refresh_from_db()
        assert conversation.assignee == agent
        assert [t.name for t in conversation.tags.all()] == ["Rappel demain"]
        expect(page.locator(f"[data-conversation='{conversation.pk}']")).to_contain_text(
            "Rappel demain"
        )
    page.context.close()


def test_a_mention_in_a_note_reaches_the_colleague_live_and_waits_in_their_workspace(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User, camille: User
) -> None:
    from playwright.sync_api import expect

    karim, theirs = _page(browser), _page(browser)
    _sign_in(theirs, asgi_server, camille.username)
    expect(theirs.locator("[data-live-state]")).to_have_text("En direct")
    expect(theirs.locator("[data-mention-count]")).to_have_text("0")

    _sign_in(karim, asgi_server, agent.username)
    karim.goto(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    karim.keyboard.press("n")
    karim.keyboard.type("@camille tu connais ce dossier ? Elle a déjà appelé hier.")
    karim.keyboard.press("Control+Enter")
    expect(karim.locator(".msg-agent.msg-internal").last).to_contain_text("Camille Dupont")
    expect(karim.locator(".flash")).to_contain_text("Camille Dupont")

    # Camille's page, untouched since, hears it.
    expect(theirs.locator("[data-notice]")).to_contain_text(f"#{waiting[0].pk}")
    expect(theirs.locator("[data-mention-count]")).to_have_text("1")
    theirs.get_by_role("link", name="Mentions").click()
    theirs.locator(f"[data-conversation='{waiting[0].pk}'] a").click()
    expect(theirs.locator(".msg-agent.msg-internal")).to_contain_text("tu connais ce dossier")
    expect(theirs.locator("[data-mention-count]")).to_have_text("0")  # seen now
    karim.context.close()
    theirs.context.close()


def test_two_agents_on_one_conversation_see_each_other_viewing_and_writing(
    browser: Any, asgi_server: str, waiting: list[Conversation], agent: User, camille: User
) -> None:
    from playwright.sync_api import expect

    karim, theirs = _page(browser), _page(browser)
    for page, user in ((karim, agent), (theirs, camille)):
        _sign_in(page, asgi_server, user.username)
        page.goto(f"{asgi_server}/fr/agent/c/{waiting[0].pk}/")
    expect(karim.locator("[data-watchers]")).to_contain_text("Camille Dupont")
    expect(theirs.locator("[data-watchers]")).to_contain_text("Karim Benali")
    karim.locator("[data-reply]").type("Bonjour")
    expect(theirs.locator("[data-watchers]")).to_contain_text("Karim Benali écrit")
    karim.context.close()
    theirs.context.close()


def test_the_packet_shows_the_customers_comment_and_article_titles_never_raw_ids(
    browser: Any, asgi_server: str, kb: KB, agent: User, customer: User, front: Team
) -> None:
    from playwright.sync_api import expect

    record_feedback(
        kb.password_fr,
        helpful=False,
        comment="Je ne reçois pas l'e-mail, même dans les spams",
        customer=customer,
        language="fr",
    )
    conversation = _chat("j'ai oublié mon mot de passe", customer=customer)
    off_loop(_post_message, conversation, {"action": "human"})
    conversation.refresh_from_db()
    assert conversation.state == State.WAITING_HUMAN
    off_loop(lifecycle.assign, conversation, to=None, team=front, by=None)

    page = _page(browser)
    _sign_in(page, asgi_server, agent.username)
    page.goto(f"{asgi_server}/fr/agent/c/{conversation.pk}/")
    packet = page.locator("[data-packet]")
    expect(packet.locator(".their-words")).to_contain_text(
        "Je ne reçois pas l'e-mail, même dans les spams"
    )
    link = packet.get_by_role("link", name="Mot de passe oublié : le réinitialiser").first
    site = settings.SITE_URL.rstrip("/")
    expect(link).to_have_attribute("href", f"{site}{article_url(kb.password_fr)}")
    text = packet.inner_text()
    assert f"#{kb.password.pk}" not in text and "1,00" not in text and "0,9" not in text
    packet.get_by_text("Détails").click()
    expect(packet.locator("details")).to_contain_text("%")
    page.context.close()


def test_the_french_editor_keeps_the_review_date_when_saving(
    browser: Any, live_server: Any, kb: KB, agent: User
) -> None:
    from playwright.sync_api import expect

    kb.password.review_due = dt.date(2027, 3, 15)
    kb.password.save(update_fields=["review_due"])
    page = _page(browser)
    page.goto(f"{live_server.url}/fr/accounts/login/")
    page.fill("input[name=username]", agent.username)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    page.goto(f"{live_server.url}/fr/manage/articles/{kb.password.pk}/fr/")
    review = page.get_by_label("À relire avant le")
    expect(review).to_have_value("2027-03-15")
    owner = page.get_by_label("Responsable")
    expect(owner.locator("option:checked")).to_have_text("Karim Benali")
    preview = page.locator("#preview")
    expect(preview).to_be_in_viewport()  # beside the text, not below the fold
    page.get_by_label("Titre").fill("Mot de passe oublié : le réinitialiser en 2 minutes")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash")).to_be_visible()
    kb.password.refresh_from_db()
    assert kb.password.review_due == dt.date(2027, 3, 15)
    expect(page.get_by_label("À relire avant le")).to_have_value("2027-03-15")
    page.context.close()
