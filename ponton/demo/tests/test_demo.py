"""The demo company that `ponton demo` loads on first start."""

from __future__ import annotations

import random
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import Role, Skill, Team
from ponton.conversations.models import Conversation
from ponton.demo import history, people
from ponton.demo.loader import demo_is_loaded, load_demo
from ponton.journeys.models import JourneyEvent
from ponton.knowledge.models import ArticleTranslation, Feedback


@pytest.fixture
def demo_people(db: None) -> dict[str, list]:
    return people.create_people(random.Random(7))


def test_the_demo_has_the_documented_logins(demo_people: dict[str, list]) -> None:
    users = get_user_model().objects
    expected = {
        "admin": Role.ADMIN,
        "supervisor": Role.SUPERVISOR,
        "agent": Role.AGENT,
        "agent2": Role.AGENT,
        "client": Role.CUSTOMER,
    }
    for username, role in expected.items():
        user = users.get(username=username)
        assert user.role == role
        assert user.check_password(people.DEMO_PASSWORD), username
    assert people.DEMO_PASSWORD == "demo"


def test_the_demo_client_signs_in_through_the_login_form(
    client: Client, demo_people: dict[str, list]
) -> None:
    response = client.post("/fr/accounts/login/", {"username": "client", "password": "demo"})
    assert response.status_code == 302
    assert "_auth_user_id" in client.session


def test_the_demo_loads_people_and_knowledge_and_its_history_lies_in_the_past(db: None) -> None:
    assert not demo_is_loaded()
    figures = load_demo(with_history=False)
    assert demo_is_loaded()
    assert figures["articles"] == ArticleTranslation.objects.count() > 100
    assert figures["customers"] == get_user_model().objects.filter(role=Role.CUSTOMER).count()

    customers = list(get_user_model().objects.filter(role=Role.CUSTOMER)[:20])
    before = timezone.now()
    assert history.generate(customers=customers, seed=3, days=3)
    assert JourneyEvent.objects.exists()
    assert not JourneyEvent.objects.filter(occurred_at__gt=before).exists()
    # auto_now_add would stamp them "now": the demo puts them back where they happened.
    assert Conversation.objects.exists()
    assert not Conversation.objects.filter(created_at__gte=before).exists()
    assert not Feedback.objects.filter(created_at__gte=before).exists()


def test_the_demo_people_are_the_same_for_the_same_seed(db: None) -> None:
    first = people.create_people(random.Random(1), customers=5)
    names = [(u.username, u.first_name, u.profile.plan) for u in first["customers"]]
    get_user_model().objects.all().delete()
    Team.objects.all().delete()
    Skill.objects.all().delete()
    again = people.create_people(random.Random(1), customers=5)
    assert [(u.username, u.first_name, u.profile.plan) for u in again["customers"]] == names


def test_the_demo_inbox_has_todays_handoffs_for_the_reasons_that_matter(db: None) -> None:
    import random

    from ponton.accounts.models import User
    from ponton.conversations.models import Conversation, State
    from ponton.demo.live import EMAILS, SCENARIOS, open_conversations

    load_demo(with_history=False)
    customers = list(User.objects.filter(role="customer"))
    expected = len(SCENARIOS) + len(EMAILS)
    assert open_conversations(customers, random.Random(1)) == expected
    open_ones = Conversation.objects.exclude(state=State.CLOSED)
    assert open_ones.count() == expected
    assert open_ones.filter(channel="email").count() == len(EMAILS)
    assert {c.state for c in open_ones} == {State.WAITING_HUMAN, State.WITH_HUMAN}
    assert {"sensitive_situation", "fraud_security", "critical_impact", "customer_request"} <= {
        c.handoff_reason for c in open_ones
    }


def test_the_demo_has_past_phone_calls_and_shows_a_phone_number(
    db: None, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ponton.connectors.voice.models import Call, Outcome
    from ponton.demo import calls
    from ponton.demo.management.commands.demo import show_a_phone_number

    load_demo(with_history=False)
    customers = list(get_user_model().objects.filter(role=Role.CUSTOMER).order_by("pk")[:5])
    before = timezone.now()
    assert calls.past_calls(customers) == 2
    made = list(Call.objects.order_by("started_at"))
    assert len(made) == 2 and all(c.ended_at and c.ended_at < before for c in made)
    assert {c.outcome for c in made} <= {
        Outcome.RESOLVED_IN_MENU,
        Outcome.TO_PERSON,
        Outcome.ANSWERED,
    }
    assert made[1].conversation.messages.filter(text__contains="5 min 12 s").exists()
    assert not JourneyEvent.objects.filter(occurred_at__gt=before).exists()

    monkeypatch.delenv("PONTON_SUPPORT_PHONE", raising=False)
    settings.PONTON_SUPPORT_PHONE = ""
    show_a_phone_number()
    assert settings.PONTON_SUPPORT_PHONE
