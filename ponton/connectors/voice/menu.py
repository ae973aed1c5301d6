"""The voice menu: a standard that orients callers to selfcare and keeps a person one
key away.

Each webhook of the provider is one turn. The caller's words (the provider's speech
transcript) go through the same assistant as the chat: signals first (a request for a
person, anger, bereavement, fraud, an outage go straight to a person), then
understanding and the policy. A routine need is answered aloud, with the link offered
by email (or SMS), then "did that help?". "0", or asking for a person in any words, is
honoured the first time from any step. Going to a person, the call is a phone
conversation in the queue with its context packet, and the call is put through
(`<Enqueue>`, or `<Dial>` to the agent's own line), or, when nobody can answer soon,
the caller books a callback on the keypad or leaves a voice message.

The menu's position is kept on the `Call` row (several app processes serve the
webhooks), locked for the length of each turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton import phones
from ponton.assistant import phrasing, policy
from ponton.assistant.policy import article_card
from ponton.connectors.voice import calls, numbers, provider
from ponton.connectors.voice.models import AgentLine, Call, CallSource, CallStatus, Outcome
from ponton.connectors.voice.signature import public_url
from ponton.connectors.voice.twiml import Reply, for_the_ear
from ponton.conversations import lifecycle, realtime
from ponton.conversations.memory import recall
from ponton.conversations.models import Author, Conversation, ConversationChannel, State
from ponton.conversations.presence import staffing
from ponton.journeys.models import EventKind
from ponton.knowledge.models import ArticleTranslation, Status
from ponton.knowledge.selectors import article_url
from ponton.portal.callbacks import book_slot, callback_slots, describe
from ponton.status import services as incidents
from ponton.tasks.services import enqueue


class Step:
    NEED = "need"  # what do you need?
    FEEDBACK = "feedback"  # did that help?
    CHOOSE = "choose"  # which of these articles?
    AWAY = "away"  # nobody now: a callback or a voice message?
    SLOT = "slot"  # which callback slot?
    RECORDED = "recorded"  # the voice message is in
    DIALED = "dialed"  # the agent's line answered, or not
    QUEUED = "queued"  # the caller left the queue
    ALL = (NEED, FEEDBACK, CHOOSE, AWAY, SLOT, RECORDED, DIALED, QUEUED)


PERSON = "0"
SWITCH_LANGUAGE = "9"
YES, NO, BY_EMAIL, BY_SMS = "1", "2", "3", "4"
MAX_MISSES = 2
SLOTS_READ = 3
_YES_WORDS = frozenset({"oui", "ouais", "yes", "yeah", "merci", "thanks", "thank", "parfait", "ok"})
_NO_WORDS = frozenset({"non", "no", "nope", "pas"})


@dataclass(frozen=True)
class Turn:
    """What the provider posted."""

    call_sid: str
    from_number: str = ""
    to_number: str = ""
    digits: str = ""
    speech: str = ""
    recording_url: str = ""
    fields: dict[str, str] = field(default_factory=dict)


def step_url(step: str) -> str:
    return public_url(reverse("api:voice-step", args=[step]))


def incident_notice(language: str, customer: Any = None) -> str:
    """What callers hear before the menu while an incident that concerns them is open ("" when
    none): its title, read at the start of the call, so that callers about it learn at once
    what is known while "0" still reaches a person. What they then say about it gets the
    incident's notice from the assistant, as on chat."""
    titles = [i.title(language) for i in incidents.banners_for(customer) if not i.is_maintenance]
    if not titles:
        return ""
    return _("A known incident is in progress: %(titles)s. We are working on it.") % {
        "titles": "; ".join(titles)
    }


# Entry --------------------------------------------------------------------------------------


@transaction.atomic
def incoming(turn: Turn) -> str:
    """A new call: greet in the caller's language, say "0" reaches a person, ask the need."""
    call = Call.objects.select_for_update().filter(sid=turn.call_sid).first()
    if call is None:
        customer = numbers.customer_for(turn.from_number)
        call = Call.objects.create(
            sid=turn.call_sid,
            source=CallSource.MENU,
            from_number=phones.e164(turn.from_number) or turn.from_number[:40],
            to_number=phones.e164(turn.to_number) or turn.to_number[:40],
            customer=customer,
            language=customer.language if customer else "fr",
            status=CallStatus.IN_MENU,
            step=Step.NEED,
        )
        calls.record_step(call, EventKind.VOICE_MENU, step="greeting", identified=bool(customer))
    with override(call.language):
        return str(_greeting(call))


def _greeting(call: Call) -> Reply:
    reply = Reply(call.language)
    reply.say(
        _(
            "Hello, this is %(site)s. I am the automated voice assistant. "
            "At any moment, press 0 to talk to a person."
        )
        % {"site": settings.SITE_NAME}
    )
    notice = incident_notice(call.language, call.customer)
    if notice:
        reply.say(notice)
    other = "en" if call.language == "fr" else "fr"
    foreign = (
        (other, "For English, press 9.") if other == "en" else (other, "Pour le français, tapez 9.")
    )
    return reply.gather(
        step_url(Step.NEED),
        _("Tell me in a few words what you need."),
        hints=_("advisor, invoice, password, internet"),
        foreign=foreign,
    )


@transaction.atomic
def answer(turn: Turn, *, step: str) -> str:
    """The caller's answer to the prompt of `step` (keys pressed, words said, or nothing)."""
    call = Call.objects.select_for_update().filter(sid=turn.call_sid).first()
    if call is None:  # a call we never greeted (its first webhook was lost): start over
        return incoming(turn)
    handler = _HANDLERS.get(step)
    if handler is None or call.status == CallStatus.ENDED:
        return str(Reply(call.language).hangup())
    with override(call.language):
        reply = handler(call, turn)
    call.save()
    return str(reply)


# The caller's need --------------------------------------------------------------------------


def _on_need(call: Call, turn: Turn) -> Reply:
    if turn.digits == PERSON:
        return _to_person(call, how="keypad")
    if turn.digits == SWITCH_LANGUAGE:
        call.language = "en" if call.language == "fr" else "fr"
        call.misses = 0
        _step(call, "language", language=call.language)
        with override(call.language):
            return _greeting(call)
    if turn.speech:
        call.misses = 0
        return _hear(call, turn.speech)
    return _missed(call, Step.NEED, _("Tell me what you need, or press 0 to talk to a person."))


def _missed(call: Call, step: str, prompt: str) -> Reply:
    """Nothing heard (or a key that means nothing here): ask once more; a second silence
    is not a dead end, a person takes it."""
    call.misses += 1
    _step(call, "no_input", at=step, misses=call.misses)
    if call.misses >= MAX_MISSES:
        return _to_person(call, how="no_input")
    return Reply(call.language).gather(step_url(step), _("Sorry, I did not catch that."), prompt)


def _step(call: Call, name: str, **data: object) -> None:
    calls.record_step(call, EventKind.VOICE_MENU, step=name, **data)


def _conversation_id(call: Call) -> int:
    """The call's conversation (steps after the caller's first words or "0" always have one)."""
    if call.conversation_id is None:
        raise ValueError(f"Call {call.sid} has no conversation yet")
    return call.conversation_id


def _locked_conversation(call: Call) -> Conversation:
    return Conversation.objects.select_for_update().get(pk=_conversation_id(call))


def _hear(call: Call, words: str) -> Reply:
    """The caller's words, to the assistant exactly as a chat message."""
    words = words.strip()[: lifecycle.MAX_MESSAGE_LENGTH]
    if call.conversation_id is None:
        opened = lifecycle.open_conversation(
            channel=ConversationChannel.PHONE,
            first_message=words,
            language=call.language,
            customer=call.customer,
            visitor_id=calls.caller_visitor_id(call),
            name="" if call.customer else phones.display(call.from_number),
            phone=call.from_number,
        )
        call.conversation = opened.conversation
        policy.on_customer_message(opened.conversation, opened.message)
    else:
        conversation = _locked_conversation(call)
        message, created = lifecycle.customer_message(conversation, text=words)
        if created:
            policy.on_customer_message(conversation, message)
    return _after_assistant(call)


def _after_assistant(call: Call) -> Reply:
    """Say aloud what the assistant decided."""
    conversation = Conversation.objects.get(pk=_conversation_id(call))
    call.conversation = conversation
    if conversation.state in (State.WAITING_HUMAN, State.WITH_HUMAN):
        return _connect(call)
    last = (
        conversation.messages.filter(author=Author.ASSISTANT).order_by("-id").first()
        if conversation.state == State.ASSISTANT
        else None
    )
    offered = [a.get("id", "") for a in (last.actions if last else [])]
    if policy.RESOLVED in offered:
        return _read_answer(call, conversation)
    if last is not None and any(
        a == "notify" or a.startswith(policy.NOTIFY_CHOICE) for a in offered
    ):
        # A known incident: what is known, read aloud; a person stays one key away.
        call.step = Step.NEED
        _step(call, "incident")
        notice = last.text.split("\n\n")[0]
        return Reply(call.language).gather(
            step_url(Step.NEED),
            for_the_ear(notice)
            + " "
            + _("To talk to a person, press 0. Otherwise, tell me what else you need."),
        )
    articles = [
        int(a[len(policy.ARTICLE_CHOICE) :]) for a in offered if a.startswith(policy.ARTICLE_CHOICE)
    ]
    if len(articles) >= 2:
        return _offer_choices(call, conversation, articles)
    call.step = Step.NEED
    if recall(conversation).failed_attempts >= policy.MAX_FAILED_BEFORE_OFFER:
        call.misses = MAX_MISSES - 1  # silence now puts them through
        _step(call, "offer_person")
        return Reply(call.language).gather(
            step_url(Step.NEED),
            _("I am not managing to help you, but an advisor will. Press 0, or stay on the line."),
        )
    _step(call, "no_answer")
    return Reply(call.language).gather(
        step_url(Step.NEED),
        _("I do not have an answer to that. Say it in other words, or press 0 for a person."),
    )


def _translation(article_id: int, language: str) -> ArticleTranslation | None:
    return (
        ArticleTranslation.objects.select_related("article")
        .filter(article_id=article_id, language=language, status=Status.PUBLISHED)
        .first()
    )


def _link_offers(call: Call, conversation: Conversation) -> list[str]:
    offers = []
    if conversation.email:
        offers.append(_("To receive the link by email, press 3."))
    if provider.sms_configured() and phones.e164(call.from_number):
        offers.append(_("By text message, press 4."))
    return offers


def _read_answer(call: Call, conversation: Conversation) -> Reply:
    article = recall(conversation).detected_need.get("article")
    translation = _translation(article, conversation.language) if article else None
    if translation is None:
        return _to_person(call, how="no_article")
    call.step = Step.FEEDBACK
    call.misses = 0
    _step(call, "answer", article=translation.article_id)
    spoken = for_the_ear(phrasing.extractive(translation))
    return (
        Reply(call.language)
        .say(f"{for_the_ear(translation.title)} {spoken}")
        .gather(
            step_url(Step.FEEDBACK),
            *_link_offers(call, conversation),
            _("Did that help? Press 1 for yes, 2 for no, or 0 to talk to a person."),
            hints=_("yes, no, advisor"),
        )
    )


def _offer_choices(call: Call, conversation: Conversation, articles: list[int]) -> Reply:
    titles = []
    for article_id in articles[:3]:
        translation = _translation(article_id, conversation.language)
        if translation is not None:
            titles.append((article_id, translation.title))
    call.choices = [article_id for article_id, _title in titles]
    call.step = Step.CHOOSE
    _step(call, "clarify", articles=call.choices)
    options = " ".join(
        _("Press %(n)s for: %(title)s.") % {"n": n, "title": for_the_ear(title)}
        for n, (_id, title) in enumerate(titles, start=1)
    )
    return Reply(call.language).gather(
        step_url(Step.CHOOSE),
        _("I want to be sure I understand."),
        options,
        _("Or press 0 to talk to a person."),
    )


def _on_choose(call: Call, turn: Turn) -> Reply:
    if turn.digits == PERSON:
        return _to_person(call, how="keypad")
    if turn.digits.isdigit() and 1 <= int(turn.digits) <= len(call.choices):
        article_id = int(call.choices[int(turn.digits) - 1])
        return _choose(call, f"{policy.ARTICLE_CHOICE}{article_id}", f"[{turn.digits}]")
    if turn.speech:
        return _hear(call, turn.speech)
    return _missed(call, Step.CHOOSE, _("Press the number of your choice, or 0 for a person."))


def _choose(call: Call, action: str, label: str) -> Reply:
    """A key that picks one of the assistant's offered choices (kept as the caller's words)."""
    conversation = _locked_conversation(call)
    lifecycle.customer_message(conversation, text=label)
    policy.on_action(conversation, action)
    return _after_assistant(call)


# Did that help? -----------------------------------------------------------------------------


def _on_feedback(call: Call, turn: Turn) -> Reply:
    words = set(turn.speech.lower().replace(",", " ").replace(".", " ").split())
    if turn.digits == PERSON:
        return _to_person(call, how="keypad")
    if turn.digits == YES or (words and words <= _YES_WORDS | {"c'est", "bon", "tout"}):
        return _solved(call)
    if turn.digits == NO or (words and words <= _NO_WORDS | {"merci"}):
        _step(call, "not_helped")
        label = _("[No, that did not help]")
        return _choose(call, policy.NOT_RESOLVED, label)
    if turn.digits in (BY_EMAIL, BY_SMS):
        return _send_link(call, by_sms=turn.digits == BY_SMS)
    if turn.speech:
        return _hear(call, turn.speech)
    call.misses += 1
    if call.misses >= MAX_MISSES:
        _step(call, "no_input", at=Step.FEEDBACK, misses=call.misses)
        return Reply(call.language).say(_("Thank you for calling. Goodbye.")).hangup()
    return Reply(call.language).gather(
        step_url(Step.FEEDBACK),
        _("Did that help? Press 1 for yes, 2 for no, or 0 to talk to a person."),
    )


def _solved(call: Call) -> Reply:
    conversation = _locked_conversation(call)
    lifecycle.customer_message(conversation, text=_("[Yes, solved]"))
    policy.on_action(conversation, policy.RESOLVED)
    call.outcome = Outcome.RESOLVED_IN_MENU
    call.step = ""
    _step(call, "resolved")
    return (
        Reply(call.language)
        .say(_("Glad it helped. If anything else comes up, an advisor is one key away. Goodbye."))
        .hangup()
    )


def _send_link(call: Call, *, by_sms: bool) -> Reply:
    """The article's link by email (the customer's address) or text message."""
    conversation = _locked_conversation(call)
    article = recall(conversation).detected_need.get("article")
    translation = _translation(article, conversation.language) if article else None
    to_number = phones.e164(call.from_number)
    possible = (provider.sms_configured() and to_number) if by_sms else conversation.email
    if translation is None or not possible:
        return Reply(call.language).gather(
            step_url(Step.FEEDBACK),
            _("Sorry, I cannot send it that way."),
            _("Did that help? Press 1 for yes, 2 for no, or 0 to talk to a person."),
        )
    url = settings.SITE_URL.rstrip("/") + article_url(translation)
    message = lifecycle.assistant_message(
        conversation,
        text=_("The article you heard on the phone: %(title)s\n%(url)s")
        % {"title": translation.title, "url": url},
        articles=[article_card(translation)],
    )
    if by_sms:
        transaction.on_commit(
            lambda: enqueue(
                "voice.sms_link",
                message_id=message.pk,
                to=to_number,
                dedupe_key=f"sms:{message.pk}",
            )
        )
        said = _("The link is on its way by text message.")
    else:
        transaction.on_commit(
            lambda: enqueue(
                "conversations.email_reply",
                message_id=message.pk,
                dedupe_key=f"email-reply:{message.pk}",
            )
        )
        said = _("The link is on its way to the email address of your account.")
    _step(call, "link_sent", by="sms" if by_sms else "email", article=translation.article_id)
    return (
        Reply(call.language)
        .say(said)
        .gather(
            step_url(Step.FEEDBACK),
            _("Did that help? Press 1 for yes, 2 for no, or 0 to talk to a person."),
        )
    )


# A person ------------------------------------------------------------------------------------


def _to_person(call: Call, *, how: str) -> Reply:
    """The caller asked for a person (or the menu could not help): honoured at once."""
    _step(call, "person", how=how)
    with override(call.language):
        if call.conversation_id is None:
            text = (
                _("[Pressed 0: talk to a person]")
                if how == "keypad"
                else _("[Said nothing in the voice menu: put through to a person]")
            )
            opened = lifecycle.open_conversation(
                channel=ConversationChannel.PHONE,
                first_message=text,
                language=call.language,
                customer=call.customer,
                visitor_id=calls.caller_visitor_id(call),
                name="" if call.customer else phones.display(call.from_number),
                phone=call.from_number,
                wants_person=True,
            )
            call.conversation = opened.conversation
        else:
            conversation = _locked_conversation(call)
            if conversation.state in (State.ASSISTANT, State.CLOSED):
                lifecycle.customer_message(conversation, text=_("[Pressed 0: talk to a person]"))
                policy.on_action(conversation, policy.HUMAN)
    return _connect(call)


def queue_name(conversation: Conversation) -> str:
    """The provider's queue a caller waits in: their team's."""
    return conversation.team.slug if conversation.team_id and conversation.team else "support"


def _connect(call: Call) -> Reply:
    """Put the caller through when someone can answer soon; otherwise a callback or a
    voice message, with the honest reason."""
    conversation = Conversation.objects.select_related("team", "assignee").get(
        pk=_conversation_id(call)
    )
    call.conversation = conversation
    call.outcome = Outcome.TO_PERSON
    call.choices = []
    call.misses = 0
    now = staffing()
    wait = now.expected_wait_minutes
    reply = Reply(call.language)
    if now.agents_online and wait is not None and wait <= settings.PONTON_VOICE_MAX_WAIT_MINUTES:
        call.step = Step.QUEUED
        reply.say(
            _(
                "I am putting you through to an advisor. Expected wait: about %(minutes)s minutes. "
                "They see what you told me: no need to repeat yourself."
            )
            % {"minutes": wait}
        )
        line = (
            AgentLine.objects.filter(user_id=conversation.assignee_id).first()
            if conversation.assignee_id
            else None
        )
        _step(call, "put_through", queue=queue_name(conversation), wait=wait)
        if line is not None and (line.sip or phones.e164(line.number)):
            call.step = Step.DIALED
            if conversation.assignee_id:
                call.agent_id = conversation.assignee_id
                call.status = CallStatus.RINGING
                call.ringing_at = timezone.now()
                realtime.announce_call(conversation.assignee_id, call.pk)
            return reply.dial(
                number=phones.e164(line.number), sip=line.sip, action=step_url(Step.DIALED)
            )
        return reply.enqueue(queue_name(conversation), action=step_url(Step.QUEUED))
    return _away(call, conversation, reply, now_open=now.open_now, next_opening=now.next_opening)


def _away(
    call: Call, conversation: Conversation, reply: Reply, *, now_open: bool, next_opening: datetime
) -> Reply:
    if now_open:
        reply.say(
            _("All our advisors are busy: the wait is over %(minutes)s minutes.")
            % {"minutes": settings.PONTON_VOICE_MAX_WAIT_MINUTES}
        )
    else:
        reply.say(
            _("Our advisors are away until %(when)s.")
            % {"when": formats.date_format(timezone.localtime(next_opening), "l j F, H:i")}
        )
    reply.say(
        _("Your request number %(id)s is saved with what you told me.") % {"id": conversation.pk}
    )
    call.step = Step.AWAY
    _step(call, "away", open=now_open)
    return reply.gather(step_url(Step.AWAY), *_away_options(call), speech=False)


def _away_options(call: Call) -> list[str]:
    options = []
    if phones.e164(call.from_number):
        options.append(_("To be called back by an advisor, press 1."))
    options.append(_("To leave a voice message, press 2."))
    return options


def _on_away(call: Call, turn: Turn) -> Reply:
    if turn.digits == "1" and phones.e164(call.from_number):
        return _offer_slots(call)
    if turn.digits == "2" or call.misses + 1 >= MAX_MISSES:
        return _voice_message(call)
    call.misses += 1
    return Reply(call.language).gather(step_url(Step.AWAY), *_away_options(call), speech=False)


def _offer_slots(call: Call, *, preface: str = "") -> Reply:
    slots = callback_slots()[:SLOTS_READ]
    if not slots:
        return _voice_message(call)
    call.choices = [slot.value for slot in slots]
    call.step = Step.SLOT
    call.misses = 0
    _step(call, "callback_slots", slots=call.choices)
    options = " ".join(
        _("Press %(n)s for %(when)s.") % {"n": n, "when": _spoken_slot(slot.starts_at)}
        for n, slot in enumerate(slots, start=1)
    )
    return Reply(call.language).gather(
        step_url(Step.SLOT),
        *([preface] if preface else []),
        options,
        _("To leave a voice message instead, press 0."),
        speech=False,
    )


def _spoken_slot(starts_at: datetime) -> str:
    return formats.date_format(timezone.localtime(starts_at), "l j F, H:i")


def _on_slot(call: Call, turn: Turn) -> Reply:
    if turn.digits == PERSON:
        return _voice_message(call)
    if not (turn.digits.isdigit() and 1 <= int(turn.digits) <= len(call.choices)):
        call.misses += 1
        if call.misses >= MAX_MISSES:
            return _voice_message(call)
        return _offer_slots(call)
    starts_at = datetime.fromisoformat(str(call.choices[int(turn.digits) - 1]))
    conversation = _locked_conversation(call)
    try:
        callback = book_slot(
            conversation, phone=phones.display(call.from_number), starts_at=starts_at
        )
    except ValidationError:
        _step(call, "slot_taken")
        return _offer_slots(call, preface=_("That slot was just taken. Here are the next ones."))
    call.callback = callback
    call.outcome = Outcome.CALLBACK_BOOKED
    call.step = ""
    _step(call, "callback_booked", callback=callback.pk)
    lifecycle.system_note(
        conversation,
        _("Callback booked in the voice menu: %(when)s, on %(number)s.")
        % {"when": describe(starts_at), "number": phones.display(call.from_number)},
    )
    realtime.announce(conversation, "callback")
    return (
        Reply(call.language)
        .say(
            _("It is booked: an advisor will call you back on %(number)s, %(when)s. Goodbye.")
            % {"number": phones.display(call.from_number), "when": _spoken_slot(starts_at)}
        )
        .hangup()
    )


def _voice_message(call: Call) -> Reply:
    call.step = Step.RECORDED
    _step(call, "voice_message_prompt")
    return (
        Reply(call.language)
        .say(_("Leave your message after the beep, then hang up or press the hash key."))
        .record(action=step_url(Step.RECORDED))
    )


def _on_recorded(call: Call, turn: Turn) -> Reply:
    try:
        url = calls.clean_recording_url(turn.recording_url)
    except ValidationError:
        url = ""
    if url and not call.recording_purged_at:
        call.recording_url = url
    call.outcome = Outcome.VOICE_MESSAGE if url else call.outcome
    call.step = ""
    _step(call, "voice_message", recorded=bool(url))
    if call.conversation_id and url:
        conversation = Conversation.objects.get(pk=_conversation_id(call))
        with override(conversation.language):
            lifecycle.system_note(
                conversation,
                _("The caller left a voice message: listen from the call record."),
            )
        realtime.announce(conversation, "note")
    return Reply(call.language).say(_("Thank you, your message is saved. Goodbye.")).hangup()


def _on_dialed(call: Call, turn: Turn) -> Reply:
    """The agent's own line answered (the call is over when this comes), or did not."""
    if turn.fields.get("DialCallStatus") == "completed":
        return Reply(call.language).hangup()
    conversation = Conversation.objects.select_related("team").get(pk=_conversation_id(call))
    call.step = Step.QUEUED
    _step(call, "line_unanswered")
    return (
        Reply(call.language)
        .say(_("Your advisor is not answering. I am putting you in the queue."))
        .enqueue(queue_name(conversation), action=step_url(Step.QUEUED))
    )


def _on_queued(call: Call, turn: Turn) -> Reply:
    """The caller left the queue: put through (the call is over), or the queue failed."""
    if turn.fields.get("QueueResult") in ("bridged", "bridging-in-process", "hangup"):
        return Reply(call.language).hangup()
    now = staffing()
    conversation = Conversation.objects.get(pk=_conversation_id(call))
    return _away(
        call,
        conversation,
        Reply(call.language),
        now_open=now.open_now,
        next_opening=now.next_opening,
    )


_HANDLERS = {
    Step.NEED: _on_need,
    Step.FEEDBACK: _on_feedback,
    Step.CHOOSE: _on_choose,
    Step.AWAY: _on_away,
    Step.SLOT: _on_slot,
    Step.RECORDED: _on_recorded,
    Step.DIALED: _on_dialed,
    Step.QUEUED: _on_queued,
}


# The provider's status callback --------------------------------------------------------------

ENDED_STATUSES = frozenset({"completed", "busy", "no-answer", "failed", "canceled"})


@transaction.atomic
def status(turn: Turn) -> None:
    """The provider says the call ended: its record, once."""
    if turn.fields.get("CallStatus") not in ENDED_STATUSES:
        return
    call = Call.objects.select_for_update().filter(sid=turn.call_sid).first()
    if call is None:
        return
    duration = turn.fields.get("CallDuration", "")
    calls.end_call(call, duration=int(duration) if duration.isdigit() else None)
    if call.agent_id:
        realtime.announce_call(call.agent_id, call.pk)
