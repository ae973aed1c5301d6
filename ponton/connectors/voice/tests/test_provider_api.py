"""Click-to-call and links by SMS through the provider's REST API, against a fake of the
provider (the one third party we cannot run) listening on a local port."""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs

import pytest
import time_machine
from django.test import Client

from ponton.conftest import KB
from ponton.connectors.voice.models import AgentLine, Call, CallStatus
from ponton.connectors.voice.tests.conftest import OPEN
from ponton.connectors.voice.tests.fake_provider import FakeProvider, spoken
from ponton.portal.callbacks import request_callback
from ponton.tasks.services import run_due


class _Recorder(BaseHTTPRequestHandler):
    received: list[dict[str, Any]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        auth = base64.b64decode(self.headers["Authorization"].split()[1]).decode()
        self.received.append(
            {"path": self.path, "auth": auth, "form": {k: v[0] for k, v in parse_qs(body).items()}}
        )
        payload = json.dumps({"sid": f"CA{len(self.received):032d}"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: Any) -> None:
        return


@pytest.fixture
def provider_api(settings: Any) -> Iterator[list[dict[str, Any]]]:
    _Recorder.received = []
    server = HTTPServer(("127.0.0.1", 0), _Recorder)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.PONTON_VOICE_ACCOUNT_SID = "AC123"
    settings.PONTON_VOICE_API_URL = f"http://127.0.0.1:{server.server_port}"
    settings.PONTON_VOICE_SMS = True
    try:
        yield _Recorder.received
    finally:
        server.shutdown()
        server.server_close()


def test_click_to_call_rings_the_agent_then_dials_the_customer(
    client: Client, customer: Any, agent: Any, provider_api: list[dict[str, Any]]
) -> None:
    AgentLine.objects.create(user=agent, number="+33611112222")
    with time_machine.travel(OPEN, tick=False):
        callback = request_callback(
            customer, starts_at=OPEN + timedelta(hours=4), phone="06 12 34 56 78"
        )
    client.force_login(agent)
    with time_machine.travel(callback.starts_at, tick=False):
        assert "Appeler" in client.get("/fr/agent/?fragment=1").content.decode()
        client.post(f"/fr/agent/calls/callbacks/{callback.pk}/call")
    [placed] = provider_api
    assert placed["path"] == "/2010-04-01/Accounts/AC123/Calls.json"
    assert placed["auth"] == "AC123:provider-auth-token"
    assert placed["form"]["To"] == "+33611112222"
    assert placed["form"]["From"] == "+33199001234"
    bridge = placed["form"]["Url"]
    assert bridge == f"http://testserver/api/v1/voice/bridge/{callback.pk}"
    call = Call.objects.get(callback=callback)
    assert (call.status, call.agent, call.sid) == (CallStatus.RINGING, agent, "CA" + "0" * 31 + "1")

    # The agent picks up: the provider asks what next, Ponton dials the customer.
    leg = FakeProvider(Client(), call_sid=call.sid, from_number="+33199001234")
    leg.post(bridge)
    assert leg.last is not None
    dial = leg.last.find("Dial")
    assert dial is not None and dial.attrib["callerId"] == "+33199001234"
    assert dial.find("Number").text == "+33612345678"


def test_the_articles_link_leaves_by_sms_when_a_provider_sends_texts(
    client: Client,
    kb: KB,
    provider_api: list[dict[str, Any]],
    django_capture_on_commit_callbacks: Any,
) -> None:
    with time_machine.travel(OPEN, tick=False):
        provider = FakeProvider(client, call_sid="CA" + "f" * 32, from_number="+33612345678")
        provider.call()
        answer = provider.say("j'ai oublié mon mot de passe")
        assert "Par SMS, tapez 4" in spoken(answer)
        assert "par e-mail" not in spoken(answer)  # an unknown caller: no address to send to
        with django_capture_on_commit_callbacks(execute=True):
            provider.press("4")
        run_due()
    [sent] = provider_api
    assert sent["path"] == "/2010-04-01/Accounts/AC123/Messages.json"
    assert sent["form"]["To"] == "+33612345678"
    assert f"/a/{kb.password_fr.slug}/" in sent["form"]["Body"]
