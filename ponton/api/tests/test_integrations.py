"""What integrators need besides the chat: customers for a CRM, articles written by a tool,
callbacks booked for a customer. Every operation has its outsider."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client

from ponton.accounts.models import CustomerProfile, TokenScope, User
from ponton.accounts.services import create_api_token
from ponton.conftest import KB
from ponton.conversations.models import Callback, Conversation, State
from ponton.knowledge.models import ArticleTranslation, Status

PARIS = ZoneInfo("Europe/Paris")
MONDAY_MORNING = datetime(2030, 3, 4, 9, 10, tzinfo=PARIS)
JSON = "application/json"


def api(user: User, **token: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(user, **token)}")


# Customers ----------------------------------------------------------------------------------


def test_a_crm_provisions_a_customer_then_finds_them_by_email_or_phone_and_updates_them(
    supervisor: User,
) -> None:
    crm = api(supervisor)
    created = crm.post(
        "/api/v1/customers",
        {
            "email": "Lea.Petit@Example.com",
            "first_name": "Léa",
            "last_name": "Petit",
            "phone": "06 12 34 56 78",
            "plan": "fibre-max",
            "modules": ["fibre", "tv"],
            "language": "en",
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["email"], body["phone"], body["plan"]) == (
        "lea.petit@example.com",
        "+33612345678",
        "fibre-max",
    )
    customer = User.objects.get(pk=body["id"])
    assert customer.is_customer and not customer.has_usable_password()

    by_email = crm.get("/api/v1/customers", {"email": "LEA.PETIT@example.com"}).json()
    by_phone = crm.get("/api/v1/customers", {"phone": "+33 6 12 34 56 78"}).json()
    assert [c["id"] for c in by_email["results"]] == [customer.pk]
    assert [c["id"] for c in by_phone["results"]] == [customer.pk]

    updated = crm.patch(
        f"/api/v1/customers/{customer.pk}",
        {"plan": "pro", "segment": "business"},
        content_type=JSON,
    )
    assert updated.status_code == 200
    assert (updated.json()["plan"], updated.json()["first_name"]) == ("pro", "Léa")
    profile = CustomerProfile.objects.get(user=customer)
    assert (profile.plan, profile.segment, profile.modules) == ("pro", "business", ["fibre", "tv"])


def test_provisioning_an_address_already_known_is_a_conflict(
    supervisor: User, customer: User
) -> None:
    response = api(supervisor).post(
        "/api/v1/customers", {"email": customer.email.upper()}, content_type=JSON
    )
    assert response.status_code == 409
    assert User.objects.filter(email__iexact=customer.email).count() == 1


def test_a_phone_number_nobody_can_call_is_refused(supervisor: User) -> None:
    response = api(supervisor).post(
        "/api/v1/customers", {"email": "x@example.com", "phone": "12"}, content_type=JSON
    )
    assert response.status_code == 400
    assert "phone" in response.json()["errors"]


def test_finding_customers_needs_an_email_or_a_phone(agent: User) -> None:
    assert api(agent).get("/api/v1/customers").status_code == 400


def test_agents_read_customers_but_only_supervisors_and_admins_write_them(
    agent: User, customer: User
) -> None:
    reader = api(agent)
    assert reader.get(f"/api/v1/customers/{customer.pk}").json()["email"] == customer.email
    assert (
        reader.patch(
            f"/api/v1/customers/{customer.pk}", {"plan": "free"}, content_type=JSON
        ).status_code
        == 403
    )
    assert (
        reader.post(
            "/api/v1/customers", {"email": "new@example.com"}, content_type=JSON
        ).status_code
        == 403
    )


def test_customers_and_strangers_cannot_reach_the_customer_api(
    customer: User, other_customer: User
) -> None:
    assert api(other_customer).get(f"/api/v1/customers/{customer.pk}").status_code == 403
    assert Client().get("/api/v1/customers", {"email": customer.email}).status_code == 401


def test_a_staff_member_is_not_a_customer_of_the_customer_api(
    supervisor: User, agent: User
) -> None:
    assert api(supervisor).get(f"/api/v1/customers/{agent.pk}").status_code == 404


# Articles -----------------------------------------------------------------------------------


def test_a_tool_writes_an_article_as_a_draft_then_publishes_it(
    agent: User, kb: KB, django_capture_on_commit_callbacks: Any
) -> None:
    tool = api(agent)
    created = tool.post(
        "/api/v1/kb/articles",
        {
            "key": "restart-box",
            "category": "box-wifi",
            "modules": ["fibre"],
            "translations": {
                "fr": {
                    "title": "Redémarrer sa box",
                    "body": "Débranchez-la dix secondes.",
                    "questions": ["ma box ne marche plus"],
                }
            },
        },
        content_type=JSON,
    )
    assert created.status_code == 201, created.content
    article = created.json()
    assert [(t["language"], t["status"]) for t in article["translations"]] == [("fr", "draft")]

    updated = tool.patch(
        f"/api/v1/kb/articles/{article['id']}",
        {
            "translations": {
                "fr": {"body": "Débranchez-la trente secondes."},
                "en": {"title": "Restart your box", "body": "Unplug it for thirty seconds."},
            }
        },
        content_type=JSON,
    )
    assert updated.status_code == 200, updated.content
    fr = next(t for t in updated.json()["translations"] if t["language"] == "fr")
    assert (fr["title"], fr["body"]) == ("Redémarrer sa box", "Débranchez-la trente secondes.\n")

    with django_capture_on_commit_callbacks(execute=True):
        published = tool.post(
            f"/api/v1/kb/articles/{article['id']}/publish", {"lang": "fr"}, content_type=JSON
        )
    assert published.status_code == 200
    translation = ArticleTranslation.objects.get(article_id=article["id"], language="fr")
    assert translation.status == Status.PUBLISHED and translation.versions.count() == 3
    assert Client().get(translation_url(translation)).status_code == 200
    read = tool.get(f"/api/v1/kb/articles/{article['id']}").json()
    assert {t["language"]: t["status"] for t in read["translations"]} == {
        "fr": "published",
        "en": "draft",
    }


def translation_url(translation: ArticleTranslation) -> str:
    return f"/fr/a/{translation.slug}/"


def test_an_article_in_an_unknown_category_or_language_is_refused(agent: User, kb: KB) -> None:
    tool = api(agent)
    fr = {"title": "T", "body": "B"}
    unknown_category = {"key": "k", "category": "nope", "translations": {"fr": fr}}
    unknown_language = {"key": "k", "category": "box-wifi", "translations": {"de": fr}}
    for body in (unknown_category, unknown_language):
        assert tool.post("/api/v1/kb/articles", body, content_type=JSON).status_code == 400


def test_a_read_only_token_reads_articles_but_cannot_write_them(agent: User, kb: KB) -> None:
    reader = api(agent, scopes=[TokenScope.READ])
    assert reader.get(f"/api/v1/kb/articles/{kb.password.pk}").status_code == 200
    response = reader.post(
        f"/api/v1/kb/articles/{kb.password.pk}/publish", {"lang": "fr"}, content_type=JSON
    )
    assert response.status_code == 403


def test_customers_cannot_read_or_write_articles_through_the_staff_api(
    customer: User, kb: KB
) -> None:
    outsider = api(customer)
    assert outsider.get(f"/api/v1/kb/articles/{kb.password.pk}").status_code == 403
    body = {"translations": {"fr": {"title": "Piraté"}}}
    assert (
        outsider.patch(f"/api/v1/kb/articles/{kb.password.pk}", body, content_type=JSON).status_code
        == 403
    )
    assert Client().get(f"/api/v1/kb/articles/{kb.password.pk}").status_code == 401


# Callbacks ----------------------------------------------------------------------------------


@pytest.fixture
def monday() -> Any:
    with time_machine.travel(MONDAY_MORNING, tick=False) as traveller:
        yield traveller


def test_an_agent_books_a_callback_for_a_customer_in_a_free_slot_and_lists_it(
    monday: Any, agent: User, customer: User
) -> None:
    desk = api(agent)
    slots = desk.get("/api/v1/callbacks/slots").json()["results"]
    assert slots and all(s["free"] > 0 for s in slots)
    booked = desk.post(
        "/api/v1/callbacks",
        {
            "customer_id": customer.pk,
            "starts_at": slots[0]["starts_at"],
            "phone": "+33 6 12 34 56 78",
            "note": "Facture de février",
        },
        content_type=JSON,
    )
    assert booked.status_code == 201, booked.content
    callback = Callback.objects.get(pk=booked.json()["id"])
    assert callback.customer == customer
    conversation = Conversation.objects.get(pk=callback.conversation_id)
    assert conversation.state == State.WAITING_HUMAN
    listed = desk.get("/api/v1/callbacks", {"status": "requested"}).json()["results"]
    assert [c["id"] for c in listed] == [callback.pk]


def test_a_callback_outside_the_offered_slots_is_refused(
    monday: Any, agent: User, customer: User
) -> None:
    response = api(agent).post(
        "/api/v1/callbacks",
        {
            "customer_id": customer.pk,
            "starts_at": "2030-03-04T03:00:00+01:00",
            "phone": "0612345678",
        },
        content_type=JSON,
    )
    assert response.status_code == 400
    assert "slot" in response.json()["errors"]
    assert not Callback.objects.exists()


def test_customers_and_strangers_cannot_list_or_book_callbacks(monday: Any, customer: User) -> None:
    assert api(customer).get("/api/v1/callbacks").status_code == 403
    assert Client().get("/api/v1/callbacks/slots").status_code == 401
