"""The customer's copy of her data is complete: profile and preferences, requests with
messages and files, callbacks, surveys, article feedback, status subscriptions, journey."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

from django.test import Client
from django.utils import timezone

from ponton.accounts.models import CustomerProfile, User
from ponton.conftest import KB
from ponton.conversations.models import Callback, Survey, SurveyKind
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event
from ponton.knowledge.services import record_feedback
from ponton.portal import services
from ponton.portal.tests.conftest import open_request, png
from ponton.status.models import Component
from ponton.status.services import subscribe


def _export(client: Client) -> tuple[dict[str, Any], zipfile.ZipFile]:
    response = client.get("/fr/account/export/")
    assert response.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    return json.loads(archive.read("my-data.json")), archive


def test_the_export_holds_everything_kept_about_the_customer_and_nothing_of_others(
    client: Client, customer: User, other_customer: User, agent: User, kb: KB
) -> None:
    fibre = Component.objects.create(slug="fibre", name_fr="Fibre", name_en="Fibre")
    CustomerProfile.objects.filter(user=customer).update(
        referent_advisor=agent, preferred_channel="phone", accessibility_needs="Malentendante"
    )
    mine = open_request(customer, "Ma box ne s'allume plus.")
    services.reply_to_request(
        mine, customer=customer, reply=services.Reply(text="Photo", files=[png("voyant.png")])
    )
    Callback.objects.create(
        customer=customer,
        conversation=mine,
        phone="+33612345678",
        starts_at=timezone.now() + timedelta(days=1),
        note="Après 18 h",
    )
    Survey.objects.create(
        kind=SurveyKind.CSAT, conversation=mine, customer=customer, score=4, comment="Rapide"
    )
    record_feedback(kb.invoice_fr, helpful=False, comment="Pas clair", customer=customer)
    record_feedback(kb.invoice_fr, helpful=True, comment="Très clair", customer=other_customer)
    subscribe(customer.email.upper(), component=fibre, language="fr")
    subscribe(other_customer.email, component=fibre)
    record_event(EventKind.SEARCH, customer=customer, data={"query": "facture"})
    client.force_login(customer)

    data, archive = _export(client)

    me = data["customer"]
    assert (me["email"], me["name"], me["customer_number"]) == (
        customer.email,
        "Claire Martin",
        "40012345",
    )
    assert (me["plan"], me["modules"], me["segment"]) == (
        "fibre-max",
        ["fibre", "tv"],
        "residential",
    )
    assert me["preferences"] == {
        "language": "fr",
        "preferred_channel": "phone",
        "prefers_person": False,
        "accessibility_needs": "Malentendante",
        "referent_advisor": agent.get_short_name(),
    }
    [request] = data["requests"]
    assert request["contact"]["email"] == customer.email
    photo = next(m for m in request["messages"] if m["text"] == "Photo")
    [listed] = photo["attachments"]
    assert archive.read(listed["file"]).startswith(b"\x89PNG")
    [callback] = data["callbacks"]
    assert (callback["phone"], callback["note"]) == ("+33612345678", "Après 18 h")
    [survey] = data["surveys"]
    assert (survey["score"], survey["comment"]) == (4, "Rapide")
    [feedback] = data["article_feedback"]
    assert (feedback["article"], feedback["helpful"], feedback["comment"]) == (
        kb.invoice_fr.title,
        False,
        "Pas clair",
    )
    [subscription] = data["status_subscriptions"]
    assert (subscription["component"], subscription["unsubscribed_at"]) == ("fibre", None)
    assert "facture" in [e["data"].get("query") for e in data["journey"]]
    assert "Très clair" not in json.dumps(data, ensure_ascii=False)
