"""Attacks on a default deployment: readable files, the demo's backend left on."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.core.files.base import ContentFile
from django.test import Client

from ponton.conversations.models import attachment_storage


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_and_data_folder_are_created_for_ponton_s_user_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    env = {**os.environ, "PONTON_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    env.pop("DJANGO_SETTINGS_MODULE", None)
    ponton = str(Path(sys.executable).parent / "ponton")
    subprocess.run([ponton, "migrate", "-v0"], env=env, check=True, timeout=300)
    assert _mode(data) == 0o700
    created = [p for p in data.rglob("*")]
    assert data / "ponton.sqlite3" in created
    for path in created:
        assert _mode(path) == (0o700 if path.is_dir() else 0o600), path


def test_an_attachment_is_stored_readable_by_ponton_only(
    settings: Any, tmp_path: Path, db: None
) -> None:
    settings.PONTON_ATTACHMENTS_DIR = tmp_path / "attachments"
    name = attachment_storage.save("2026/05/facture.pdf", ContentFile(b"%PDF-1.4"))
    path = Path(attachment_storage.path(name))
    assert _mode(path) == 0o600
    assert _mode(path.parent) == 0o700


def test_the_demo_backend_is_off_outside_the_demo(client: Client, db: None) -> None:
    response = client.post(
        "/demo-backend/latest-invoice",
        {"customer_number": "40012345"},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer demo",
    )
    assert response.status_code == 404


def test_the_demo_backend_refuses_the_old_default_token(
    client: Client, db: None, settings: Any
) -> None:
    settings.PONTON_DEMO_BACKEND = True
    settings.PONTON_CONNECTOR_TOKEN = "made-for-this-run"
    response = client.post(
        "/demo-backend/latest-invoice",
        {},
        content_type="application/json",
        HTTP_AUTHORIZATION="Bearer demo",
    )
    assert response.status_code == 401
