"""Erasing a customer: nothing of them left in any table nor in the database file, the
KPIs the same. Written as the finding: a deleted customer's name and email remained in
conversations, messages, journey events and search logs."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client

from ponton.accounts.models import User
from ponton.conversations.models import Attachment, Conversation, Message
from ponton.journeys.models import EventKind, JourneyEvent
from ponton.privacy import erasure

EMAIL = "claire.martin@example.net"
NAME = "Claire Martin"

# Runs in a fresh SQLite database file: the demo's people, then a day of Claire's
# traffic through the real pages, the KPIs, the erasure, the KPIs again.
SCENARIO = r"""
import json
from datetime import timedelta
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from ponton.accounts.models import User
from ponton.conversations import lifecycle
from ponton.conversations.models import Conversation
from ponton.demo.loader import load_demo
from ponton.insights.kpis import quantities
from ponton.insights.periods import Period

load_demo(with_history=False)
claire = Client()
claire.force_login(User.objects.get(username="client"))
claire.get("/fr/search", {"q": "facture claire.martin@example.net"})
chat = claire.post(
    "/api/v1/chat/conversations",
    {"text": "Bonjour, je suis Claire Martin (claire.martin@example.net), ma box ne marche plus"},
    content_type="application/json",
).json()
claire.post(
    f"/api/v1/chat/conversations/{chat['id']}/messages",
    {"action": "human"},
    content_type="application/json",
    HTTP_X_CONVERSATION_TOKEN=chat["token"],
)
claire.post("/fr/contact/", {"text": "Rappelez Claire Martin pour la facture de mai"})
conversation = Conversation.objects.get(pk=chat["id"])
lifecycle.reply_as_agent(conversation, agent=User.objects.get(username="agent"), text="Bonjour Claire Martin, je regarde.")
claire.post(
    f"/fr/account/requests/{conversation.pk}/",
    {"text": "Voici la photo", "attachments": [SimpleUploadedFile("box.txt", b"Claire Martin box", "text/plain")]},
)
period = Period(timezone.now() - timedelta(days=1), timezone.now() + timedelta(hours=1))
before = quantities(period)
call_command("erase_customer", "client")
after = quantities(period)
diff = {k: (before[k], after.get(k)) for k in before if before[k] != after.get(k)}
print(json.dumps({"same_kpis": before == after, "sessions": before["sessions"], "diff": str(diff)}))
"""


def test_after_erasure_the_customer_is_nowhere_in_the_database_file_and_the_kpis_hold(
    tmp_path: Path,
) -> None:
    env = {
        **os.environ,
        "PONTON_DATA_DIR": str(tmp_path),
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    for name in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    ponton = str(Path(sys.executable).parent / "ponton")
    subprocess.run([ponton, "migrate", "-v0"], env=env, check=True, timeout=300)
    result = subprocess.run(
        [ponton, "shell", "-c", SCENARIO], env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    erased = json.loads(lines[-2])  # the command's counts
    assert erased["customers"] == 1 and erased["messages"] >= 3 and erased["attachments"] == 1
    outcome = json.loads(lines[-1])
    assert outcome["sessions"] >= 1
    assert outcome["same_kpis"], outcome["diff"]

    database = tmp_path / "ponton.sqlite3"
    files = [database, Path(f"{database}-wal")]
    raw = b"".join(f.read_bytes() for f in files if f.exists())
    for secret in (EMAIL, NAME):  # ("Martin" alone is other demo customers' name too)
        assert secret.encode() not in raw, secret
        assert secret.lower().encode() not in raw.lower(), secret
    stored = list((tmp_path / "attachments").rglob("*.txt"))
    assert stored == []


@pytest.fixture
def claires_contact(client: Client, customer: User, kb: Any) -> Conversation:
    client.force_login(customer)
    client.get("/fr/search", {"q": "facture claire@example.net"})
    client.post("/fr/contact/", {"text": "Je suis Claire Martin, ma facture est fausse"})
    return Conversation.objects.get()


def test_the_dry_run_counts_and_changes_nothing(
    claires_contact: Conversation, customer: User, capsys: Any
) -> None:
    call_command("erase_customer", customer.email, "--dry-run")
    counts = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert counts["dry_run"] is True and counts["customers"] == 1 and counts["conversations"] == 1
    customer.refresh_from_db()
    assert customer.email and customer.is_active
    assert Message.objects.filter(text__contains="Claire Martin").exists()


def test_erasure_is_idempotent_and_cuts_the_search_log(
    claires_contact: Conversation, customer: User, capsys: Any
) -> None:
    call_command("erase_customer", str(customer.pk))
    first = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    call_command("erase_customer", str(customer.pk))
    second = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert first["customers"] == 1 and second["customers"] == 0
    assert second["messages"] == 0 and second["journey_events"] == 0
    customer.refresh_from_db()
    assert (customer.email, customer.first_name, customer.is_active) == ("", "", False)
    searches = JourneyEvent.objects.filter(kind=EventKind.SEARCH)
    assert searches.exists()
    assert all("claire@example.net" not in e.data["query"] for e in searches)
    assert all("facture" in e.data["query"] for e in searches)  # the gap reports still count it
    assert not Message.objects.filter(text__icontains="martin").exists()
    assert not Attachment.objects.exists()


def test_erasing_by_email_again_finds_nothing_and_is_harmless(
    claires_contact: Conversation, customer: User, capsys: Any
) -> None:
    call_command("erase_customer", customer.email)
    capsys.readouterr()
    call_command("erase_customer", customer.email)
    again = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert again["found"] == 0 and again["customers"] == 0


def test_an_admin_erases_a_customer_from_the_admin(
    client: Client, claires_contact: Conversation, customer: User, admin: User, agent: User
) -> None:
    client.force_login(admin)
    response = client.post(
        "/admin/accounts/user/",
        {"action": "erase_customers", "_selected_action": [customer.pk, agent.pk]},
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    agent.refresh_from_db()
    assert customer.email == "" and not customer.is_active
    assert agent.email and agent.is_active  # staff are not erased this way


README = Path(__file__).resolve().parents[3] / "README.md"
_CHANGE = re.compile(r'^\s*(?:UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.IGNORECASE)


def test_the_postgresql_routine_rewrites_every_table_the_erasure_changes(
    claires_contact: Conversation, customer: User
) -> None:
    """An update or delete leaves the old row version in a PostgreSQL table file until
    VACUUM (FULL) rewrites it: the README's routine must name each table changed."""
    changed: set[str] = set()

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if match := _CHANGE.match(sql):
            changed.add(match.group(1))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(watch):
        erasure.erase(customer.email)
    routine = re.search(r"VACUUM \(FULL, ANALYZE\) (accounts_user,[^;]+);", README.read_text())
    assert routine is not None
    listed = {name.strip() for name in routine.group(1).split(",")}
    assert {"accounts_user", "conversations_message", "django_session"} <= changed
    assert changed - listed == set()
