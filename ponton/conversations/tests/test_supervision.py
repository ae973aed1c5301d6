"""The supervision page: queues, agents' load and missed service levels, for supervisors."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import Team, User
from ponton.conftest import PHONE
from ponton.conversations.models import Conversation, ConversationChannel, State
from ponton.conversations.supervision import board
from ponton.conversations.tests.conftest import make_present

pytestmark = pytest.mark.django_db
URL = "/fr/agent/supervision/"


@pytest.fixture
def queues(agent: User, other_team_agent: User, customer: User) -> dict[str, Conversation]:
    """Front: one waiting unassigned for 40 minutes, one with Karim; business: one missed
    its first answer."""
    now = timezone.now()
    front, business = Team.objects.get(slug="front"), Team.objects.get(slug="business")
    make_present(agent)

    def make(**fields: Any) -> Conversation:
        return Conversation.objects.create(
            channel=ConversationChannel.CHAT, customer=customer, name="Claire Martin", **fields
        )

    return {
        "waiting": make(
            team=front,
            state=State.WAITING_HUMAN,
            handed_off_at=now - timedelta(minutes=40),
            first_response_due=now + timedelta(minutes=10),
        ),
        "with_karim": make(
            team=front,
            state=State.WITH_HUMAN,
            assignee=agent,
            handed_off_at=now - timedelta(hours=1),
        ),
        "missed": make(
            team=business,
            state=State.WAITING_HUMAN,
            assignee=other_team_agent,
            handed_off_at=now - timedelta(hours=5),
            first_response_due=now - timedelta(hours=1),
            sla_breached_at=now - timedelta(minutes=59),
        ),
    }


def test_a_supervisor_sees_queues_agents_load_and_missed_service_levels(
    client: Client, supervisor: User, queues: dict[str, Conversation]
) -> None:
    client.force_login(supervisor)
    response = client.get(URL)
    assert response.status_code == 200

    data = response.context["board"]
    by_team = {q.team.slug: q for q in data.queues if q.team}
    assert (by_team["front"].waiting, by_team["front"].unassigned) == (1, 1)
    assert by_team["front"].with_agent == 1 and by_team["front"].at_risk == 1
    assert by_team["front"].oldest == queues["waiting"].handed_off_at
    assert (by_team["business"].waiting, by_team["business"].breached) == (1, 1)
    loads = {a.user.username: (a.present, a.load) for a in data.agents}
    assert loads["karim"] == (True, 1)
    assert loads["julie"] == (False, 1)
    assert data.breached == [queues["missed"]]
    html = response.content.decode()
    assert f"#{queues['missed'].pk}" in html
    assert "Karim Benali" in html and "Clients professionnels" in html
    assert 'src="/static/ponton/supervision.js"' in html


def test_an_admin_sees_the_supervision_page_too(client: Client, admin: User) -> None:
    client.force_login(admin)
    assert client.get(URL).status_code == 200


def test_an_agent_cannot_open_the_supervision_page(client: Client, agent: User) -> None:
    client.force_login(agent)
    assert client.get(URL).status_code == 403


def test_a_customer_cannot_open_the_supervision_page(client: Client, customer: User) -> None:
    client.force_login(customer)
    assert client.get(URL).status_code == 403


def test_an_anonymous_visitor_is_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/fr/accounts/login/?next=/fr/agent/supervision/")


def test_the_supervision_page_reads_a_fixed_number_of_queries(
    client: Client,
    supervisor: User,
    queues: dict[str, Conversation],
    django_assert_max_num_queries: Any,
) -> None:
    client.force_login(supervisor)
    client.get(URL)
    for n in range(5):  # more agents and more missed conversations cost no more queries
        extra = User.objects.create_user(f"agent{n}", role="agent")
        extra.teams.add(Team.objects.get(slug="front"))
        Conversation.objects.create(
            channel=ConversationChannel.CHAT,
            state=State.WAITING_HUMAN,
            assignee=extra,
            sla_breached_at=timezone.now(),
        )
    # The board, the staff bar (mentions waiting) and the incidents' surge, whatever the data.
    with django_assert_max_num_queries(11):
        assert client.get(URL).status_code == 200


def test_the_board_has_no_row_for_no_team_when_every_conversation_has_one(
    queues: dict[str, Conversation],
) -> None:
    assert all(q.team is not None for q in board().queues)


@pytest.mark.browser
def test_the_supervision_page_reads_well_on_a_desktop_and_a_phone(
    page: Any,
    live_server: Any,
    supervisor: User,
    queues: dict[str, Conversation],
    artifacts: Path,
    password: str,
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{live_server.url}/fr/accounts/login/?next=/fr/agent/supervision/")
    page.fill("input[name=username]", supervisor.username)
    page.fill("input[name=password]", password)
    page.locator("main form button[type=submit]").click()
    expect(page.get_by_role("heading", name="Supervision", exact=True)).to_be_visible()
    expect(page.locator("#board")).to_contain_text("Karim Benali")
    page.screenshot(path=str(artifacts / "supervision-desktop.png"), full_page=True)

    page.set_viewport_size(PHONE)
    page.reload()
    expect(page.locator("#board")).to_contain_text("Karim Benali")
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing to scroll sideways on a phone
    page.screenshot(path=str(artifacts / "supervision-phone.png"), full_page=True)


@pytest.mark.browser
def test_the_supervision_page_updates_itself_when_a_customer_is_handed_off(
    browser: Any, asgi_server: str, kb: Any, supervisor: User, password: str
) -> None:
    from playwright.sync_api import expect

    from ponton.conftest import DESKTOP

    supervision = browser.new_context(viewport=DESKTOP, locale="fr-FR").new_page()
    customer = browser.new_context(viewport=PHONE, locale="fr-FR").new_page()
    for page in (supervision, customer):
        page.set_default_timeout(10_000)
    supervision.goto(f"{asgi_server}/fr/accounts/login/?next=/fr/agent/supervision/")
    supervision.fill("input[name=username]", supervisor.username)
    supervision.fill("input[name=password]", password)
    supervision.locator("main form button[type=submit]").click()
    waiting = supervision.locator(".sv-totals li").first
    expect(waiting).to_contain_text("0")

    customer.goto(f"{asgi_server}/fr/")
    customer.get_by_role("button", name="Besoin d'aide ?").click()
    customer.locator("#pw-input").fill("Je veux parler à un conseiller")
    customer.locator("#pw-input").press("Enter")
    expect(customer.locator("#pw-panel .pw-system")).to_be_visible()

    # No reload: the inbox push makes the page read itself again.
    expect(waiting).to_contain_text("1")
