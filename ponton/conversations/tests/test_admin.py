"""Admins set up calendars, service levels, routing rules and saved replies in the admin."""

from typing import Any

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

MODELS = ["businesscalendar", "slapolicy", "routingrule", "savedreply", "callback", "survey"]


@pytest.mark.parametrize("model", MODELS)
def test_an_admin_lists_and_adds_the_agents_side_settings(admin: Any, model: str) -> None:
    client = Client()
    client.force_login(admin)
    assert client.get(f"/admin/conversations/{model}/").status_code == 200
    assert client.get(f"/admin/conversations/{model}/add/").status_code == 200


def test_an_agent_cannot_open_the_admin(agent: Any) -> None:
    client = Client()
    client.force_login(agent)
    assert client.get("/admin/conversations/routingrule/").status_code == 302
