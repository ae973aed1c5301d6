"""Every HTML page carries a strict Content-Security-Policy; production is HTTPS only.

The attack: a script injected into a page would run, and any site could frame
ours (clickjacking); `check --deploy` warned with the production settings.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client

from ponton.accounts.models import User

PAGES = ["/fr/", "/fr/search?q=box", "/fr/accounts/login/", "/fr/contact/", "/fr/account/"]


def _policy(response: object) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]  # type: ignore[index]
    directives = [part.strip().split() for part in header.split(";") if part.strip()]
    return {d[0]: d[1:] for d in directives}


@pytest.mark.parametrize("path", PAGES)
def test_every_customer_page_forbids_inline_scripts_and_framing(
    client: Client, db: None, path: str
) -> None:
    response = client.get(path, follow=True)
    assert response.status_code == 200
    policy = _policy(response)
    assert "'unsafe-inline'" not in policy["script-src"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"]
    assert response["X-Frame-Options"] == "DENY"


def test_staff_pages_and_the_admin_carry_the_policy_too(
    client: Client, agent: User, admin: User
) -> None:
    client.force_login(agent)
    assert "'unsafe-inline'" not in _policy(client.get("/fr/agent/"))["script-src"]
    client.force_login(admin)
    assert "'unsafe-inline'" not in _policy(client.get("/admin/"))["script-src"]


def test_check_deploy_is_clean_with_the_documented_production_settings(tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DEBUG": "0",
        "PONTON_PRODUCTION": "1",
        "SECRET_KEY": "k" * 20 + "production-only-secret-0123456789-abcdefghij",
        "ALLOWED_HOSTS": "care.example.com",
        "SITE_URL": "https://care.example.com",
        "PONTON_DATA_DIR": str(tmp_path),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "ponton"),
            "check",
            "--deploy",
            "--fail-level",
            "WARNING",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "WARNING" not in result.stdout + result.stderr


def test_production_redirects_to_https_and_sends_hsts(client: Client, db: None, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    assert client.get("/fr/").status_code == 301
    secure = client.get("/fr/", secure=True, follow=True)
    assert "max-age=31536000" in secure["Strict-Transport-Security"]
