"""TwiML, the call-flow language Twilio, SignalWire and Telnyx (TeXML) all read, and
speech for the ear: short sentences, no links, no Markdown.

Only documented verbs and attributes are used (Say, Gather, Enqueue, Dial with Number or
Sip, Record, Hangup, Redirect, Pause): the tests hold every response to an allow-list
written from Twilio's TwiML reference.
"""

from __future__ import annotations

import re

from twilio.twiml.voice_response import Dial, Gather, VoiceResponse

# The voice each language is spoken in.
SPEECH_LANGUAGES = {"fr": "fr-FR", "en": "en-GB"}

MAX_SENTENCES = 4
MAX_CHARS = 450
_URL = re.compile(r"\(?\s*(https?://|www\.)\S+\s*\)?", re.I)
_MD_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|[*_`#>|~])")
_LIST_ITEM = re.compile(r"^\s*(?:[-+]|\d+[.)])\s+", re.M)
_SENTENCE_END = re.compile(r"(?<=[.!?…])\s+")


def for_the_ear(text: str) -> str:
    """Text as a voice reads it: links dropped, Markdown marks gone, list items as
    sentences, at most a few short sentences."""
    text = _MD_LINK.sub(r"\1", text or "")
    text = _URL.sub(" ", text)
    text = _LIST_ITEM.sub("", text)
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    text = " ".join(line if line[-1] in ".!?…:;" else line + "." for line in lines)
    text = _MD_MARKS.sub("", text)
    text = re.sub(r"[«»\"]", "", text)
    text = re.sub(r"\s+([.,;:!?])", r"\1", re.sub(r"\s+", " ", text)).strip()
    sentences = [s for s in _SENTENCE_END.split(text) if s]
    spoken = ""
    for sentence in sentences[:MAX_SENTENCES]:
        if spoken and len(spoken) + len(sentence) > MAX_CHARS:
            break
        spoken = f"{spoken} {sentence}".strip()
    return spoken[:MAX_CHARS]


class Reply:
    """One TwiML response, spoken in the caller's language."""

    def __init__(self, language: str) -> None:
        self.language = SPEECH_LANGUAGES.get(language, "fr-FR")
        self.response = VoiceResponse()

    def say(self, text: str, *, language: str | None = None) -> Reply:
        self.response.say(
            text,
            language=SPEECH_LANGUAGES.get(language, self.language) if language else self.language,
        )
        return self

    def gather(
        self,
        action: str,
        *prompts: str,
        speech: bool = True,
        digits: int = 1,
        hints: str = "",
        foreign: tuple[str, str] | None = None,
    ) -> Reply:
        """Ask, listening to the keypad (and to speech); no answer falls through to a
        <Redirect> to the same step, which then hears nothing."""
        attributes: dict[str, object] = {
            "action": action,
            "method": "POST",
            "input": "dtmf speech" if speech else "dtmf",
            "num_digits": digits,
            "timeout": 6,
        }
        if speech:
            attributes.update(speech_timeout="auto", language=self.language)
            if hints:
                attributes["hints"] = hints
        gather: Gather = self.response.gather(**attributes)
        for prompt in prompts:
            gather.say(prompt, language=self.language)
        if foreign is not None:  # "For English, press 9" in English
            gather.say(foreign[1], language=SPEECH_LANGUAGES[foreign[0]])
        self.response.redirect(action, method="POST")
        return self

    def enqueue(self, queue: str, *, action: str) -> Reply:
        self.response.enqueue(queue, action=action, method="POST")
        return self

    def dial(
        self,
        *,
        number: str = "",
        sip: str = "",
        action: str,
        timeout: int = 20,
        caller_id: str = "",
    ) -> Reply:
        attributes: dict[str, object] = {"action": action, "method": "POST", "timeout": timeout}
        if caller_id:
            attributes["caller_id"] = caller_id
        dial: Dial = self.response.dial(**attributes)
        if sip:
            dial.sip(sip)
        else:
            dial.number(number)
        return self

    def record(self, *, action: str, max_length: int = 120) -> Reply:
        self.response.record(
            action=action,
            method="POST",
            max_length=max_length,
            play_beep=True,
            finish_on_key="#",
            timeout=5,
        )
        return self

    def pause(self, seconds: int = 1) -> Reply:
        self.response.pause(length=seconds)
        return self

    def hangup(self) -> Reply:
        self.response.hangup()
        return self

    def __str__(self) -> str:
        return str(self.response)
