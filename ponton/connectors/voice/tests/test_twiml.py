"""The TwiML Ponton writes holds to the verbs and attributes Twilio documents (the call
tests check every response they receive; these check the checker and the speech)."""

from __future__ import annotations

import pytest

from ponton.connectors.voice.tests.fake_provider import check_twiml
from ponton.connectors.voice.twiml import Reply, for_the_ear


def test_every_verb_the_menu_uses_is_documented_with_its_attributes() -> None:
    reply = (
        Reply("fr")
        .say("Bonjour")
        .pause(1)
        .gather("https://help.example.com/api/v1/voice/menu/need", "Dites-moi", hints="facture")
    )
    reply.enqueue("front", action="https://help.example.com/api/v1/voice/menu/queued")
    reply.dial(
        number="+33612345678",
        action="https://help.example.com/api/v1/voice/menu/dialed",
        caller_id="+33199001234",
    )
    reply.dial(sip="sip:karim@pbx.example.com", action="https://help.example.com/x")
    reply.record(action="https://help.example.com/api/v1/voice/menu/recorded").hangup()
    root = check_twiml(str(reply))
    assert [child.tag for child in root] == [
        "Say",
        "Pause",
        "Gather",
        "Redirect",
        "Enqueue",
        "Dial",
        "Dial",
        "Record",
        "Hangup",
    ]
    gather = root.find("Gather")
    assert gather is not None
    assert gather.attrib == {
        "action": "https://help.example.com/api/v1/voice/menu/need",
        "method": "POST",
        "input": "dtmf speech",
        "numDigits": "1",
        "timeout": "6",
        "speechTimeout": "auto",
        "language": "fr-FR",
        "hints": "facture",
    }


@pytest.mark.parametrize(
    "bad",
    [
        "<Response><Speak>hi</Speak></Response>",  # not a verb
        '<Response><Say vocie="alice">hi</Say></Response>',  # not an attribute
        "<Response><Number>+33612345678</Number></Response>",  # only inside <Dial>
        '<Response><Gather action="/relative"><Say>x</Say></Gather></Response>',
        "<Response><Hangup>now</Hangup></Response>",
        "<Response><Enqueue></Enqueue></Response>",
    ],
)
def test_the_checker_refuses_what_twilio_does_not_document(bad: str) -> None:
    with pytest.raises(AssertionError):
        check_twiml(bad)


def test_an_answer_is_phrased_for_the_ear() -> None:
    spoken = for_the_ear(
        "Use the **Forgotten password?** link on [the sign-in page](https://x.example/login): "
        "see https://help.example.com/a/reset.\n\n1. Open your account.\n2. Tap *Reset*\n"
        "3. Follow the link.\n4. Choose a password.\n5. Sign in again."
    )
    assert "http" not in spoken and "*" not in spoken and "[" not in spoken
    assert spoken.startswith("Use the Forgotten password? link on the sign-in page")
    assert "Open your account. Tap Reset." in spoken
    assert "Sign in again" not in spoken  # a few short sentences, not the whole article
