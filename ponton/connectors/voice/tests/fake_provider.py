"""A telephony provider as the tests play it: signed form posts to Ponton's webhooks,
following each `<Gather action>` as Twilio does, and every response held to an
allow-list of TwiML verbs and attributes written from Twilio's TwiML reference
(https://www.twilio.com/docs/voice/twiml)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.test import Client
from twilio.request_validator import RequestValidator

# Verb -> attributes, from Twilio's documentation of each verb.
TWIML_ATTRIBUTES: dict[str, set[str]] = {
    "Response": set(),
    # https://www.twilio.com/docs/voice/twiml/say
    "Say": {"voice", "language", "loop"},
    # https://www.twilio.com/docs/voice/twiml/gather
    "Gather": {
        "action",
        "actionOnEmptyResult",
        "enhanced",
        "finishOnKey",
        "hints",
        "input",
        "language",
        "method",
        "numDigits",
        "partialResultCallback",
        "partialResultCallbackMethod",
        "profanityFilter",
        "speechModel",
        "speechTimeout",
        "timeout",
    },
    # https://www.twilio.com/docs/voice/twiml/enqueue
    "Enqueue": {"action", "maxQueueSize", "method", "waitUrl", "waitUrlMethod", "workflowSid"},
    # https://www.twilio.com/docs/voice/twiml/dial
    "Dial": {
        "action",
        "answerOnBridge",
        "callerId",
        "hangupOnStar",
        "method",
        "record",
        "recordingStatusCallback",
        "recordingStatusCallbackMethod",
        "recordingStatusCallbackEvent",
        "recordingTrack",
        "ringTone",
        "timeLimit",
        "timeout",
        "trim",
        "sequential",
        "referUrl",
        "referMethod",
        "events",
    },
    # https://www.twilio.com/docs/voice/twiml/number
    "Number": {
        "sendDigits",
        "url",
        "method",
        "statusCallbackEvent",
        "statusCallback",
        "statusCallbackMethod",
        "byoc",
        "machineDetection",
    },
    # https://www.twilio.com/docs/voice/twiml/sip
    "Sip": {
        "username",
        "password",
        "url",
        "method",
        "statusCallbackEvent",
        "statusCallback",
        "statusCallbackMethod",
        "machineDetection",
    },
    # https://www.twilio.com/docs/voice/twiml/record
    "Record": {
        "action",
        "finishOnKey",
        "maxLength",
        "method",
        "playBeep",
        "recordingStatusCallback",
        "recordingStatusCallbackEvent",
        "recordingStatusCallbackMethod",
        "timeout",
        "transcribe",
        "transcribeCallback",
        "trim",
    },
    # https://www.twilio.com/docs/voice/twiml/hangup
    "Hangup": set(),
    # https://www.twilio.com/docs/voice/twiml/redirect
    "Redirect": {"method"},
    # https://www.twilio.com/docs/voice/twiml/pause
    "Pause": {"length"},
}
# Where each verb may stand (its parent), from the same pages.
TWIML_PARENTS: dict[str, set[str]] = {
    "Say": {"Response", "Gather"},
    "Pause": {"Response", "Gather"},
    "Gather": {"Response"},
    "Enqueue": {"Response"},
    "Dial": {"Response"},
    "Number": {"Dial"},
    "Sip": {"Dial"},
    "Record": {"Response"},
    "Hangup": {"Response"},
    "Redirect": {"Response"},
}
# Verbs whose text is a URL, a number or an address (not empty), and those with no text.
TEXT_REQUIRED = {"Say", "Enqueue", "Number", "Sip", "Redirect"}
EMPTY = {"Hangup", "Pause", "Record"}


def check_twiml(body: str) -> ET.Element:
    """Parse a TwiML document and hold it to the allow-list; the root element."""
    root = ET.fromstring(body)
    assert root.tag == "Response", root.tag
    for parent in root.iter():
        for child in parent:
            assert child.tag in TWIML_ATTRIBUTES, f"<{child.tag}> is not a TwiML verb"
            assert parent.tag in TWIML_PARENTS[child.tag], f"<{child.tag}> inside <{parent.tag}>"
            unknown = set(child.attrib) - TWIML_ATTRIBUTES[child.tag]
            assert not unknown, f"<{child.tag}> has undocumented attributes {unknown}"
            text = (child.text or "").strip()
            if child.tag in TEXT_REQUIRED:
                assert text, f"<{child.tag}> is empty"
            if child.tag in EMPTY:
                assert not text, f"<{child.tag}> carries text"
            if "method" in child.attrib:
                assert child.attrib["method"] in ("GET", "POST")
            if child.tag == "Gather":
                assert child.attrib.get("action", "").startswith(("http://", "https://"))
                assert set(child.attrib.get("input", "dtmf").split()) <= {"dtmf", "speech"}
    return root


def spoken(root: ET.Element) -> str:
    return " ".join((e.text or "").strip() for e in root.iter("Say"))


@dataclass
class FakeProvider:
    """One call as the provider places it."""

    client: Client
    call_sid: str
    from_number: str
    to_number: str = "+33199001234"
    last: ET.Element | None = None
    responses: list[str] = field(default_factory=list)

    def _fields(self, **extra: str) -> dict[str, str]:
        return {
            "CallSid": self.call_sid,
            "AccountSid": "AC" + "0" * 32,
            "From": self.from_number,
            "To": self.to_number,
            "Direction": "inbound",
            **extra,
        }

    def post(self, url: str, *, sign: bool = True, **extra: str) -> Any:
        fields = self._fields(**extra)
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = {}
        if sign:
            public = settings.SITE_URL.rstrip("/") + path
            token = settings.PONTON_VOICE_AUTH_TOKEN
            headers["HTTP_X_TWILIO_SIGNATURE"] = RequestValidator(token).compute_signature(
                public, fields
            )
        response = self.client.post(
            path, urlencode(fields), content_type="application/x-www-form-urlencoded", **headers
        )
        if response.status_code == 200 and response["Content-Type"].startswith("text/xml"):
            body = response.content.decode()
            self.responses.append(body)
            self.last = check_twiml(body)
        return response

    def call(self) -> ET.Element:
        response = self.post("/api/v1/voice/incoming")
        assert response.status_code == 200, response.content
        assert self.last is not None
        return self.last

    def _gather(self) -> ET.Element:
        assert self.last is not None
        gather = self.last.find("Gather")
        assert gather is not None, f"no <Gather> in {ET.tostring(self.last).decode()}"
        return gather

    def press(self, digits: str) -> ET.Element:
        response = self.post(self._gather().attrib["action"], Digits=digits)
        assert response.status_code == 200, response.content
        assert self.last is not None
        return self.last

    def say(self, words: str, confidence: str = "0.92") -> ET.Element:
        response = self.post(
            self._gather().attrib["action"], SpeechResult=words, Confidence=confidence
        )
        assert response.status_code == 200, response.content
        assert self.last is not None
        return self.last

    def stay_silent(self) -> ET.Element:
        """The caller says nothing: the provider goes on to the <Redirect> after the Gather."""
        assert self.last is not None
        redirect = self.last.find("Redirect")
        assert redirect is not None and redirect.text
        self.post(redirect.text)
        return self.last

    def follow(self, verb: str, **extra: str) -> ET.Element:
        """The provider posts to the `action` of `verb` (Record, Dial, Enqueue) when it ends."""
        assert self.last is not None
        element = self.last.find(verb)
        assert element is not None
        response = self.post(element.attrib["action"], **extra)
        assert response.status_code == 200, response.content
        return self.last

    def hang_up(self, duration: int = 60) -> None:
        response = self.post(
            "/api/v1/voice/status", CallStatus="completed", CallDuration=str(duration)
        )
        assert response.status_code == 200
