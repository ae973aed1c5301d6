"""The pieces of `ponton fetch-mail` and of the workers' periodic poll that need no
receiving side (the end-to-end runs belong with it)."""

from __future__ import annotations

import importlib
import json
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from ponton.tasks import services as tasks


def test_fetch_mail_without_a_mailbox_exits_with_ex_config_and_a_json_last_line(
    settings: Any,
) -> None:
    settings.PONTON_IMAP_MAILBOXES = []
    out = StringIO()

    with pytest.raises(CommandError, match="PONTON_IMAP_MAILBOXES") as refused:
        call_command("fetch_mail", stdout=out)

    assert refused.value.returncode == 78
    last = json.loads(out.getvalue().strip().splitlines()[-1])
    assert last == {
        "mailboxes": 0,
        "delivered": 0,
        "unreadable": 0,
        "left_for_retry": 0,
        "errors": [],
    }


def test_workers_poll_the_mailboxes_every_configured_period_only_when_there_are_some(
    settings: Any,
) -> None:
    from ponton.connectors.email import tasks as connector_tasks

    try:
        tasks._periodic.pop("connectors.fetch_mail", None)
        settings.PONTON_IMAP_MAILBOXES = []
        importlib.reload(connector_tasks)
        assert "connectors.fetch_mail" not in tasks._periodic

        settings.PONTON_IMAP_MAILBOXES = ["imaps://u:pw@mail.example.com"]
        settings.PONTON_IMAP_POLL_SECONDS = 30
        importlib.reload(connector_tasks)

        assert tasks._periodic["connectors.fetch_mail"] == timedelta(seconds=30)
        assert tasks._handlers["connectors.fetch_mail"] is connector_tasks.fetch_mail
    finally:
        tasks._periodic.pop("connectors.fetch_mail", None)
        tasks._handlers.pop("connectors.fetch_mail", None)
