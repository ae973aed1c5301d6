"""The audit log: each action an administrator may have to account for leaves one
entry, and nothing in the application can change or delete an entry."""

from __future__ import annotations

import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from ponton.accounts.models import ApiToken, Role, Skill, Team, TokenScope, User
from ponton.accounts.services import create_api_token, revoke_api_tokens
from ponton.audit.configuration import watched
from ponton.audit.models import Action, AppendOnly, AuditEntry
from ponton.audit.services import purge_before, record
from ponton.conftest import KB, PASSWORD
from ponton.connectors.email.models import Delivery, Direction, EmailRecord
from ponton.conversations import lifecycle
from ponton.conversations.models import Attachment, Conversation, RoutingRule
from ponton.privacy import erasure
from ponton.webhooks.models import WebhookEndpoint

pytestmark = pytest.mark.django_db

LOGIN = "/fr/accounts/login/"
PARIS = ZoneInfo("Europe/Paris")


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("id"))


@pytest.fixture
def claires(kb: KB, customer: User) -> Conversation:
    """Claire asks for a person; the front team has it."""
    response = _signed_in(customer).post(
        "/api/v1/chat/conversations",
        {"text": "Je veux parler à un conseiller pour ma facture", "lang": "fr"},
        content_type="application/json",
    )
    assert response.status_code == 201
    conversation = Conversation.objects.get(pk=response.json()["id"])
    lifecycle.assign(conversation, to=None, team=Team.objects.get(slug="front"), by=None)
    return conversation


# Append-only ------------------------------------------------------------------------


def test_an_entry_cannot_be_changed_or_deleted_through_the_model(agent: User) -> None:
    entry = record(Action.SIGN_IN, actor=agent)
    entry.action = Action.SIGN_OUT
    with pytest.raises(AppendOnly):
        entry.save()
    with pytest.raises(AppendOnly):
        entry.delete()
    assert AuditEntry.objects.get(pk=entry.pk).action == Action.SIGN_IN


def test_entries_cannot_be_changed_or_deleted_in_bulk(agent: User) -> None:
    entry = record(Action.SIGN_IN, actor=agent)
    with pytest.raises(AppendOnly):
        AuditEntry.objects.update(actor_label="someone else")
    with pytest.raises(AppendOnly):
        AuditEntry.objects.filter(actor=agent).delete()
    with pytest.raises(AppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == "karim"


def test_an_unknown_action_is_refused(agent: User) -> None:
    with pytest.raises(ValueError):
        record("auth.teleport", actor=agent)


def test_deleting_a_user_keeps_their_entries_with_their_name(agent: User) -> None:
    record(Action.SIGN_IN, actor=agent)
    agent.delete()
    entry = AuditEntry.objects.get(action=Action.SIGN_IN)
    assert entry.actor is None
    assert entry.actor_label == "karim"


def test_the_retention_purge_removes_only_old_entries(agent: User) -> None:
    record(Action.SIGN_IN, actor=agent, at=datetime(2024, 1, 1, tzinfo=PARIS))
    record(Action.SIGN_IN, actor=agent, at=datetime(2026, 1, 1, tzinfo=PARIS))
    assert purge_before(datetime(2025, 1, 1, tzinfo=PARIS)) == 1
    assert [e.at for e in _entries(Action.SIGN_IN)] == [datetime(2026, 1, 1, tzinfo=PARIS)]


# The admin ---------------------------------------------------------------------------


def test_admins_search_and_filter_the_log_but_cannot_change_it(admin: User, agent: User) -> None:
    record(Action.SIGN_IN, actor=agent)
    record(Action.TOKEN_CREATED, actor=admin, target=("accounts.apitoken", 7))
    client = _signed_in(admin)
    listing = client.get("/admin/audit/auditentry/", {"q": "karim"})
    assert listing.status_code == 200
    assert b"karim" in listing.content
    assert listing.context["cl"].result_count == 1
    filtered = client.get("/admin/audit/auditentry/", {"action__exact": Action.TOKEN_CREATED})
    assert filtered.context["cl"].result_count == 1
    entry = AuditEntry.objects.get(action=Action.SIGN_IN, actor=agent)
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    page = client.get(f"/admin/audit/auditentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert b'name="_save"' not in page.content
    client.post(f"/admin/audit/auditentry/{entry.pk}/change/", {"actor_label": "x"})
    assert (
        client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert AuditEntry.objects.get(pk=entry.pk).actor_label == "karim"


def test_staff_who_are_not_admins_do_not_see_the_log(supervisor: User) -> None:
    supervisor.is_staff = True
    supervisor.save()
    response = _signed_in(supervisor).get("/admin/audit/auditentry/")
    assert response.status_code == 403


# Signing in and out ---------------------------------------------------------------------


def test_a_sign_in_is_recorded_with_the_client_address(agent: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    response = client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    assert response.status_code == 302
    [entry] = _entries(Action.SIGN_IN)
    assert entry.actor == agent
    assert entry.client_address == "203.0.113.9"
    assert entry.details == {"method": "password"}


def test_a_failed_sign_in_is_recorded_without_the_password(agent: User) -> None:
    client = Client(REMOTE_ADDR="198.51.100.4")
    client.post(LOGIN, {"username": "karim", "password": "wrong-guess-1"})
    client.post(LOGIN, {"username": "nobody-here", "password": "wrong-guess-2"})
    known, unknown = _entries(Action.SIGN_IN_FAILED)
    assert (known.actor, known.actor_label, known.details) == (
        agent,
        "karim",
        {"known_account": True},
    )
    assert (unknown.actor, unknown.actor_label) == (None, "nobody-here")
    assert unknown.client_address == "198.51.100.4"
    assert "wrong-guess" not in json.dumps([e.as_json() for e in AuditEntry.objects.all()])


def test_a_sign_out_is_recorded(agent: User) -> None:
    client = _signed_in(agent)
    client.post("/fr/accounts/logout/")
    [entry] = _entries(Action.SIGN_OUT)
    assert entry.actor == agent


# Rights --------------------------------------------------------------------------------


def test_a_role_change_in_the_admin_is_recorded_with_who_made_it(admin: User, agent: User) -> None:
    client = _signed_in(admin)
    page = client.get(f"/admin/accounts/user/{agent.pk}/change/")
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None
        and k
        not in (
            "teams",
            "skills",
            "groups",
            "user_permissions",
            "last_login",
            "date_joined",
            "password",
        )
    }
    data.update(
        role=Role.SUPERVISOR,
        teams=[t.pk for t in agent.teams.all()],
        date_joined_0="2026-01-01",
        date_joined_1="09:00:00",
        **{
            "profile-TOTAL_FORMS": "0",
            "profile-INITIAL_FORMS": "0",
            "profile-MIN_NUM_FORMS": "0",
            "profile-MAX_NUM_FORMS": "1",
        },
    )
    response = client.post(f"/admin/accounts/user/{agent.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [entry] = _entries(Action.ROLE_CHANGED)
    assert entry.actor == admin
    assert (entry.target_type, entry.target_id) == ("accounts.user", str(agent.pk))
    assert entry.details == {"before": "agent", "after": "supervisor"}


def test_team_changes_are_recorded_from_either_side(agent: User) -> None:
    business = Team.objects.create(slug="business", name="Business")
    before = AuditEntry.objects.count()
    agent.teams.add(business)
    agent.teams.remove(business)
    business.members.add(agent)
    business.members.clear()
    details = [e.details for e in _entries(Action.TEAMS_CHANGED)[before:]]
    assert details == [
        {"added": [business.pk]},
        {"removed": [business.pk]},
        {"added": [business.pk]},
        {"removed": [business.pk]},
    ]
    assert {e.target_id for e in _entries(Action.TEAMS_CHANGED)} == {str(agent.pk)}
    assert {e.actor_label for e in _entries(Action.TEAMS_CHANGED)} == {"system"}


def test_deactivating_an_account_is_recorded(agent: User) -> None:
    agent.is_active = False
    agent.save()
    [entry] = _entries(Action.ACTIVE_CHANGED)
    assert entry.details == {"active": False}


def test_granting_staff_or_superuser_status_is_recorded(agent: User) -> None:
    agent.is_staff = True
    agent.save()
    agent.is_superuser = True
    agent.save(update_fields=["is_superuser"])
    assert [e.details for e in _entries(Action.ADMIN_RIGHTS_CHANGED)] == [
        {
            "before": {"is_staff": False, "is_superuser": False},
            "after": {"is_staff": True, "is_superuser": False},
        },
        {
            "before": {"is_staff": True, "is_superuser": False},
            "after": {"is_staff": True, "is_superuser": True},
        },
    ]


# Setting changes -----------------------------------------------------------------------


def test_every_kind_of_configuration_is_watched(db: None) -> None:
    assert [model._meta.label_lower for model in watched()] == [
        "accounts.skill",
        "accounts.team",
        "connectors.agentline",
        "conversations.businesscalendar",
        "conversations.holiday",
        "conversations.routingrule",
        "conversations.savedreply",
        "conversations.slapolicy",
        "status.component",
        "webhooks.webhookendpoint",
    ]


def test_a_routing_rule_made_changed_and_deleted_in_the_admin_is_recorded(
    admin: User, agent: User
) -> None:
    team = agent.teams.get()
    client = _signed_in(admin)
    fields = {"position": "10", "name": "Fibre", "team": team.pk}
    assert client.post("/admin/conversations/routingrule/add/", fields).status_code == 302
    rule = RoutingRule.objects.get(name="Fibre")
    change = f"/admin/conversations/routingrule/{rule.pk}/change/"
    assert client.post(change, {**fields, "position": "5", "language": "fr"}).status_code == 302
    assert client.post(change, {**fields, "position": "5", "language": "fr"}).status_code == 302
    delete = f"/admin/conversations/routingrule/{rule.pk}/delete/"
    assert client.post(delete, {"post": "yes"}).status_code == 302

    entries = _entries(Action.SETTING_CHANGED)
    assert [e.details for e in entries] == [
        {"change": "created", "model": "conversations.routingrule", "label": "Fibre"},
        {
            "change": "changed",
            "model": "conversations.routingrule",
            "label": "Fibre",
            "fields": ["language", "position"],
        },  # the second save changed nothing: no entry
        {"change": "deleted", "model": "conversations.routingrule", "label": "Fibre"},
    ]
    assert {(e.actor, e.target_type, e.target_id) for e in entries} == {
        (admin, "conversations.routingrule", str(rule.pk))
    }


def test_a_teams_name_and_skills_changed_in_the_admin_are_recorded(admin: User) -> None:
    team = Team.objects.create(slug="business", name="Business")
    fibre = Skill.objects.create(code="fibre", name="Fibre")
    change = f"/admin/accounts/team/{team.pk}/change/"
    data = {"slug": "business", "name": "Entreprises", "skills": [fibre.pk]}
    assert _signed_in(admin).post(change, data).status_code == 302
    assert [e.details for e in _entries(Action.SETTING_CHANGED)] == [
        {"change": "changed", "model": "accounts.team", "label": "Entreprises", "fields": f}
        for f in (["name"], ["skills"])
    ]


def test_a_secret_rotated_through_the_api_is_recorded_without_any_secret(admin: User) -> None:
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.example.com/services/T0/B0/tokenofthereceiver",
        events=["incident.opened"],
        secret="whsec_first",
    )
    assert not _entries(Action.SETTING_CHANGED)  # set up outside a request: not a person's act
    api = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(admin, scopes=list(TokenScope))}")
    rotated = api.post(f"/api/v1/webhooks/{endpoint.pk}/rotate-secret")
    assert rotated.status_code == 200
    assert api.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 204

    rotation, deletion = _entries(Action.SETTING_CHANGED)
    assert rotation.actor == admin
    assert rotation.details == {
        "change": "changed",
        "model": "webhooks.webhookendpoint",
        "label": "hooks.example.com",
        "fields": ["previous_secret", "previous_secret_until", "secret"],
    }
    assert deletion.details["change"] == "deleted"
    written = json.dumps([rotation.as_json(), deletion.as_json()])
    for secret in ("whsec_first", rotated.json()["secret"], "tokenofthereceiver"):
        assert secret not in written


# Tokens --------------------------------------------------------------------------------


def test_creating_and_revoking_a_token_are_recorded_without_the_token(agent: User) -> None:
    raw = create_api_token(agent, name="CRM", scopes=["read"])
    assert revoke_api_tokens(user=agent) == 1
    [created] = _entries(Action.TOKEN_CREATED)
    [revoked] = _entries(Action.TOKEN_REVOKED)
    token = ApiToken.objects.get()
    assert created.target_id == revoked.target_id == str(token.pk)
    assert created.details["scopes"] == ["read"]
    assert revoked.details["reason"] == "requested"
    assert raw not in json.dumps([e.as_json() for e in AuditEntry.objects.all()])


def test_the_revoke_command_and_a_new_password_record_revocations(agent: User) -> None:
    create_api_token(agent, name="one")
    create_api_token(agent, name="two")
    call_command("revoke_api_token", name="one", stdout=io.StringIO())
    agent.set_password("A-new-password-for-karim-9")
    agent.save()
    reasons = [e.details["reason"] for e in _entries(Action.TOKEN_REVOKED)]
    assert reasons == ["requested", "password_changed"]
    assert _entries(Action.TOKEN_REVOKED)[0].actor_label == "system"


def test_revoking_from_the_admin_is_recorded_with_the_admin(admin: User, agent: User) -> None:
    create_api_token(agent, name="CRM")
    token = ApiToken.objects.get()
    response = _signed_in(admin).post(
        "/admin/accounts/apitoken/", {"action": "revoke", "_selected_action": [token.pk]}
    )
    assert response.status_code == 302
    [entry] = _entries(Action.TOKEN_REVOKED)
    assert (entry.actor, entry.details["reason"]) == (admin, "admin")


# Exports, views, erasure -----------------------------------------------------------------


def test_a_csv_export_is_recorded(supervisor: User) -> None:
    with time_machine.travel(datetime(2026, 3, 10, 10, tzinfo=PARIS), tick=False):
        response = _signed_in(supervisor).get("/fr/manage/insights/export/gaps.csv")
    assert response.status_code == 200
    [entry] = _entries(Action.EXPORT_CSV)
    assert (entry.actor, entry.target_type, entry.target_id) == (
        supervisor,
        "insights.table",
        "gaps",
    )


def test_a_customers_data_export_is_recorded(customer: User) -> None:
    response = _signed_in(customer).get("/fr/account/export/")
    assert response.status_code == 200
    [entry] = _entries(Action.EXPORT_CUSTOMER_DATA)
    assert entry.actor == customer
    assert entry.target_id == str(customer.pk)


def test_opening_a_conversation_in_the_workspace_is_recorded_once(
    agent: User, claires: Conversation
) -> None:
    client = _signed_in(agent)
    assert client.get(f"/fr/agent/c/{claires.pk}/").status_code == 200
    # What the open page re-reads after a push is the same view, not a new one.
    client.get(f"/fr/agent/c/{claires.pk}/", {"after": "1"})
    client.get(f"/fr/agent/c/{claires.pk}/", {"part": "head"})
    [entry] = _entries(Action.CUSTOMER_VIEWED)
    assert entry.actor == agent
    assert (entry.target_type, entry.target_id) == ("conversations.conversation", str(claires.pk))
    assert entry.details == {"page": "workspace", "customer": claires.customer_id}


def test_reading_a_conversation_through_the_api_is_recorded(
    agent: User, claires: Conversation
) -> None:
    raw = create_api_token(agent)
    response = Client().get(
        f"/api/v1/conversations/{claires.pk}", HTTP_AUTHORIZATION=f"Bearer {raw}"
    )
    assert response.status_code == 200
    [entry] = _entries(Action.CUSTOMER_VIEWED)
    assert (entry.actor, entry.details["page"]) == (agent, "api")


def test_opening_a_customers_account_in_the_admin_is_recorded(
    admin: User, customer: User, agent: User
) -> None:
    client = _signed_in(admin)
    assert client.get(f"/admin/accounts/user/{customer.pk}/change/").status_code == 200
    assert client.get(f"/admin/accounts/user/{agent.pk}/change/").status_code == 200
    [entry] = _entries(Action.CUSTOMER_VIEWED)
    assert (entry.actor, entry.target_id, entry.details["page"]) == (
        admin,
        str(customer.pk),
        "admin",
    )


def _reads(claires: Conversation) -> dict[str, str]:
    """Each other way staff read a customer's data, and the page the entry names."""
    message = claires.messages.filter(author="customer").first()
    assert message is not None
    attachment = Attachment(message=message, name="rib.pdf", content_type="application/pdf", size=8)
    attachment.file.save("rib.pdf", ContentFile(b"%PDF-1.4"), save=True)
    email = EmailRecord(
        message=message,
        direction=Direction.INBOUND,
        internet_message_id="<claire@example.net>",
        delivery=Delivery.RECEIVED,
    )
    email.original.save("claire.eml", ContentFile(b"From: claire@example.net\r\n\r\nBonjour"))
    return {
        "api.customers_read": f"/api/v1/customers/{claires.customer_id}",
        "api.customers_find": "/api/v1/customers?email=claire@example.net",
        "api.messages": f"/api/v1/conversations/{claires.pk}/messages",
        "attachment": f"/fr/account/files/{attachment.pk}/",
        "email.original": f"/fr/email/original/{email.pk}/",
        "workspace.search": "/fr/agent/search?q=Claire",
    }


@pytest.mark.parametrize(
    "page",
    [
        "api.customers_read",
        "api.customers_find",
        "api.messages",
        "attachment",
        "email.original",
        "workspace.search",
    ],
)
def test_every_other_staff_read_of_a_customers_data_is_recorded_once(
    page: str, agent: User, claires: Conversation, settings: Any, tmp_path: Path
) -> None:
    settings.PONTON_ATTACHMENTS_DIR = tmp_path
    url = _reads(claires)[page]
    if url.startswith("/api/"):
        client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(agent)}")
    else:
        client = _signed_in(agent)
    response = client.get(url)
    assert response.status_code == 200
    if response.streaming:  # a file download: read to the end, which closes its file
        b"".join(response.streaming_content)
    [entry] = _entries(Action.CUSTOMER_VIEWED)
    assert (entry.actor, entry.details["page"]) == (agent, page)
    shown = entry.details.get("customers") or [entry.details["customer"]]
    assert claires.customer_id in shown


def test_a_customer_downloading_their_own_file_is_not_a_staff_view(
    customer: User, claires: Conversation, settings: Any, tmp_path: Path
) -> None:
    settings.PONTON_ATTACHMENTS_DIR = tmp_path
    response = _signed_in(customer).get(_reads(claires)["attachment"])
    assert response.status_code == 200
    b"".join(response.streaming_content)
    assert not _entries(Action.CUSTOMER_VIEWED)


def test_a_re_read_with_nothing_new_is_not_a_new_view(agent: User, claires: Conversation) -> None:
    client = Client(HTTP_AUTHORIZATION=f"Bearer {create_api_token(agent)}")
    last = claires.messages.order_by("-pk").values_list("pk", flat=True)[0]
    url = f"/api/v1/conversations/{claires.pk}/messages"
    assert client.get(url, {"after": last}).status_code == 200
    assert not _entries(Action.CUSTOMER_VIEWED)


def test_a_refused_view_records_nothing(other_team_agent: User, claires: Conversation) -> None:
    assert _signed_in(other_team_agent).get(f"/fr/agent/c/{claires.pk}/").status_code == 404
    assert not _entries(Action.CUSTOMER_VIEWED)


def test_an_erasure_is_recorded_and_the_log_forgets_the_customer(
    customer: User, claires: Conversation
) -> None:
    Client(REMOTE_ADDR="192.0.2.50").post(LOGIN, {"username": "claire", "password": "nope"})
    Client(REMOTE_ADDR="192.0.2.50").post(
        LOGIN, {"username": "claire@example.net", "password": "nope"}
    )
    erasure.erase("claire@example.net")
    [entry] = _entries(Action.CUSTOMER_ERASED)
    assert entry.target_id == str(customer.pk)
    assert entry.details["conversations"] == 1
    log = json.dumps([e.as_json() for e in AuditEntry.objects.all()])
    for personal in ("claire", "Claire", "Martin", "192.0.2.50"):
        assert personal not in log
    assert {e.actor_label for e in _entries(Action.SIGN_IN_FAILED)} == {f"erased-{customer.pk}"}


# The export command ------------------------------------------------------------------------


def test_the_export_command_writes_json_lines_since_a_date(customer: User, tmp_path: Path) -> None:
    record(Action.SIGN_IN, actor=customer, at=datetime(2026, 2, 27, 23, tzinfo=PARIS))
    record(Action.SIGN_OUT, actor=customer, at=datetime(2026, 3, 2, 9, tzinfo=PARIS))
    output = tmp_path / "audit.jsonl"
    call_command("export_audit", since="2026-03-01", output=str(output), stderr=io.StringIO())
    lines = [json.loads(line) for line in output.read_text().splitlines()]
    assert [(line["action"], line["actor_label"]) for line in lines] == [
        ("auth.sign_out", "claire")
    ]
    assert lines[0]["at"].startswith("2026-03-02T")
    assert output.stat().st_mode & 0o777 == 0o600
    assert _entries(Action.EXPORT_AUDIT)[0].details["entries"] == 1


def test_the_export_command_refuses_a_bad_date(db: None) -> None:
    with pytest.raises(CommandError):
        call_command("export_audit", since="last tuesday")
