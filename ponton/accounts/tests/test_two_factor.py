"""Two-factor sign-in for staff: enrolment with a QR code drawn here, the code after
the password, backup codes, and the required mode for administrators.

Codes are computed in the test from the device's key at a frozen time, as the
phone's app would compute them."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ponton.accounts import twofactor
from ponton.accounts.models import User
from ponton.audit.models import Action, AuditEntry
from ponton.conftest import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/fr/accounts/login/"
CODE = "/fr/accounts/login/code/"
SETUP = "/fr/accounts/two-factor/setup/"
NOON = datetime(2026, 3, 10, 12, 0, tzinfo=ZoneInfo("Europe/Paris"))


def code_for(device: TOTPDevice, at: datetime) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = at.timestamp()
    return f"{totp.token():0{device.digits}d}"


def enrolled(user: User) -> TOTPDevice:
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def clock() -> Any:
    with time_machine.travel(NOON, tick=False) as traveller:
        yield traveller


def test_an_agent_enrols_with_a_qr_code_drawn_here_and_gets_backup_codes(
    agent: User, clock: Any
) -> None:
    client = _signed_in(agent)
    page = client.get(SETUP)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html and "<path" in html
    assert "https://" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    device = TOTPDevice.objects.get(user=agent, confirmed=False)
    done = client.post(SETUP, {"code": code_for(device, NOON)})
    assert done.status_code == 200
    codes = re.findall(r"<li>([a-z0-9]{8})</li>", done.content.decode())
    assert len(codes) == 10
    device.refresh_from_db()
    assert device.confirmed
    assert AuditEntry.objects.filter(action=Action.OTP_ENROLLED, actor=agent).count() == 1


def test_the_setup_page_speaks_english_too(agent: User) -> None:
    page = _signed_in(agent).get("/en/accounts/two-factor/setup/")
    assert b"Set up two-factor sign-in" in page.content
    assert b"Scan" in page.content or b"scan" in page.content


def test_a_wrong_first_code_does_not_turn_it_on(agent: User, clock: Any) -> None:
    client = _signed_in(agent)
    client.get(SETUP)
    device = TOTPDevice.objects.get(user=agent)
    wrong = f"{(int(code_for(device, NOON)) + 1) % 1_000_000:06d}"
    page = client.post(SETUP, {"code": wrong})
    assert page.status_code == 200
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, actor=agent).exists()


def test_with_a_device_the_password_alone_does_not_sign_in(agent: User, clock: Any) -> None:
    device = enrolled(agent)
    client = Client()
    response = client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    assert response["Location"] == CODE
    assert client.get("/fr/agent/").status_code == 302  # still signed out
    assert not AuditEntry.objects.filter(action=Action.SIGN_IN).exists()
    done = client.post(CODE, {"code": code_for(device, NOON)})
    assert done.status_code == 302
    assert done["Location"] == "/fr/agent/"
    assert client.get("/fr/agent/").status_code == 200
    assert AuditEntry.objects.filter(action=Action.SIGN_IN, actor=agent).count() == 1


def test_a_wrong_code_is_refused_and_recorded(agent: User, clock: Any) -> None:
    device = enrolled(agent)
    client = Client()
    client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    wrong = f"{(int(code_for(device, NOON)) + 500_000) % 1_000_000:06d}"
    page = client.post(CODE, {"code": wrong})
    assert page.status_code == 200
    assert "pas bon" in page.content.decode()
    assert client.get("/fr/agent/").status_code == 302
    assert AuditEntry.objects.filter(action=Action.OTP_FAILED, actor=agent).count() == 1


def test_five_wrong_codes_send_back_to_the_password(agent: User, clock: Any) -> None:
    enrolled(agent)
    client = Client()
    client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    for _ in range(twofactor.PENDING_ATTEMPTS):
        last = client.post(CODE, {"code": "000000x"})
    assert last["Location"] == LOGIN
    assert client.get(CODE)["Location"] == LOGIN


def test_the_code_step_expires(agent: User, clock: Any) -> None:
    device = enrolled(agent)
    client = Client()
    client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    later = NOON + timedelta(seconds=twofactor.PENDING_SECONDS + 1)
    clock.move_to(later)
    response = client.post(CODE, {"code": code_for(device, later)})
    assert response["Location"] == LOGIN
    assert client.get("/fr/agent/").status_code == 302


def test_a_backup_code_works_once(agent: User, clock: Any) -> None:
    enrolled(agent)
    [code, *_] = twofactor.new_backup_codes(agent)
    for expected in (302, 200):
        client = Client()
        client.post(LOGIN, {"username": "karim", "password": PASSWORD})
        response = client.post(CODE, {"code": code})
        assert response.status_code == expected
        clock.shift(60)  # past the device's throttle after the failure
    assert StaticToken.objects.filter(device__user=agent).count() == 9


def test_customers_are_not_asked_for_a_code_nor_offered_the_setup(customer: User) -> None:
    client = Client()
    assert client.post(LOGIN, {"username": "claire", "password": PASSWORD}).status_code == 302
    assert client.get(SETUP).status_code == 403


def test_the_admin_site_signs_in_through_the_same_page(db: None) -> None:
    response = Client().get("/admin/login/", {"next": "/admin/"})
    assert response["Location"] == "/fr/accounts/login/?next=%2Fadmin%2F"


# Required mode -----------------------------------------------------------------------------


def test_required_mode_sends_an_admin_without_a_device_to_enrol_first(
    admin: User, agent: User, settings: Any
) -> None:
    settings.PONTON_REQUIRE_2FA = True
    client = _signed_in(admin)
    for page in ("/fr/agent/", "/admin/", "/fr/manage/insights/"):
        response = client.get(page)
        assert response.status_code == 302
        assert response["Location"] == SETUP
    assert client.get(SETUP).status_code == 200
    assert client.get("/api/v1/conversations").status_code == 403
    # Agents are not forced (they may enrol).
    assert _signed_in(agent).get("/fr/agent/").status_code == 200


def test_required_mode_admin_site_wants_a_verified_session(
    admin: User, settings: Any, clock: Any
) -> None:
    settings.PONTON_REQUIRE_2FA = True
    device = enrolled(admin)
    unverified = _signed_in(admin)
    assert unverified.get("/admin/")["Location"].startswith("/fr/accounts/login/")
    client = Client()
    client.post(LOGIN, {"username": "alex", "password": PASSWORD, "next": "/admin/"})
    assert client.post(CODE, {"code": code_for(device, NOON)})["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_without_required_mode_an_admin_without_a_device_goes_anywhere(
    admin: User, settings: Any
) -> None:
    settings.PONTON_REQUIRE_2FA = False
    assert _signed_in(admin).get("/admin/").status_code == 200


def test_once_the_lost_phones_device_is_deleted_the_password_signs_in_again(
    agent: User, clock: Any
) -> None:
    device = enrolled(agent)
    twofactor.new_backup_codes(agent)
    device.delete()  # what an administrator does in the admin
    client = Client()
    response = client.post(LOGIN, {"username": "karim", "password": PASSWORD})
    assert response["Location"] == "/fr/agent/"
