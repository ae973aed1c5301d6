"""The dialogue policy: one decision per customer turn.

Signals come first (a person at once when it matters), then understanding
(which article, how sure), then the decision: answer, clarify, admit, or hand
off. The assistant never offers the same article twice, never sends the same
text twice, offers a person after two failed attempts, honours a request for
a person the first time, and says nothing once a person owns the conversation.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.assistant import actions as selfcare_actions
from ponton.assistant import needs, phrasing
from ponton.assistant.knowledge_model import current_model
from ponton.assistant.signals import HANDOFF_REASONS, configured_policy_topics, triage
from ponton.conversations import events, lifecycle, surveys
from ponton.conversations.context import conversation_page
from ponton.conversations.memory import recall, remember
from ponton.conversations.models import Author, Conversation, HandoffReason, Message, State
from ponton.journeys.models import EventKind
from ponton.knowledge import text
from ponton.knowledge.models import Article, ArticleTranslation, Status
from ponton.knowledge.search import Viewer
from ponton.knowledge.selectors import article_url
from ponton.status import services as status

HUMAN = "human"
RESOLVED = "resolved"
NOT_RESOLVED = "not_resolved"
ARTICLE_CHOICE = "article:"
ACTION_CHOICE = "do:"
RATE = "rate"  # a link to the satisfaction survey, opened rather than sent back
NOTIFY_CHOICE = "notify:"  # "email me when incident N is fixed"

ANSWER_CONFIDENCE = 0.45  # below this, clarify between the best candidates or admit
CLARIFY_MIN = 0.12  # a candidate worth offering as a choice
MAX_FAILED_BEFORE_OFFER = 2
MAX_FAILED_BEFORE_HANDOFF = 3
REPEAT_WINDOW = timedelta(days=7)

_THANKS = re.compile(
    r"\b(resolu|regle|ca marche|ca fonctionne|c.?est bon|parfait|solved|sorted|it works|"
    r"that worked|fixed|problem solved|all good)\b"
)
# "ça marche pas", "it still isn't fixed": not a thank-you.
_NEGATED = re.compile(
    r"\b(pas|plus|toujours|encore|jamais|not|isn.?t|doesn.?t|didn.?t|still|never|no)\b"
)

# "non", "ça ne m'aide pas", "that didn't help": the answer just offered did not solve it.
_NO = re.compile(r"^\W*(non|no|nope|pas vraiment|not really)\b")
_HELP_WORDS = re.compile(r"\b(aide|aider|help|helped|helps|helpful|utile|useful|resolu|solved)\b")


def _says_it_did_not_help(folded: str) -> bool:
    if len(folded.split()) > 8:
        return False
    return bool(_NO.search(folded) or (_HELP_WORDS.search(folded) and _NEGATED.search(folded)))


def _human_action() -> dict[str, str]:
    return {"id": HUMAN, "label": _("Talk to a person")}


def choice_in_words(action: str, label: str) -> str:
    """What a picked choice meant, as the transcript keeps it: a short button ("No") reads
    as the sentence the customer meant."""
    meaning = {
        HUMAN: _("I would like to talk to a person."),
        RESOLVED: _("Yes, that solved my problem."),
        NOT_RESOLVED: _("No, that did not solve my problem."),
    }
    return str(meaning.get(action, label or action))


def _feedback_actions() -> list[dict[str, str]]:
    return [
        {"id": RESOLVED, "label": _("Yes, solved")},
        {"id": NOT_RESOLVED, "label": _("No")},
        _human_action(),
    ]


def _say(
    conversation: Conversation,
    candidates: list[str],
    *,
    articles: list[dict[str, Any]] | None = None,
    actions: list[dict[str, str]] | None = None,
) -> Message:
    """Send the first of `candidates` this conversation has not seen yet (law 4: never
    the same answer twice); always with the way to a person among the choices."""
    said = set(conversation.messages.filter(author="assistant").values_list("text", flat=True))
    fresh = [c for c in candidates if c not in said]
    chosen = fresh[0] if fresh else f"{candidates[-1]} ({len(said) + 1})"
    actions = list(actions or [])
    if not any(a["id"] == HUMAN for a in actions):
        actions.append(_human_action())
    return lifecycle.assistant_message(
        conversation, text=chosen, articles=articles, actions=actions
    )


def _log_turn(conversation: Conversation, decision: str, **data: Any) -> None:
    events.record_conversation_event(
        conversation, EventKind.ASSISTANT_TURN, decision=decision, **data
    )


def _greeting(conversation: Conversation) -> str:
    if conversation.messages.filter(author="assistant").exists():
        return ""
    return _("I'm the automated assistant. ")


def _translation(article_id: int, lang: str) -> ArticleTranslation | None:
    return (
        ArticleTranslation.objects.select_related("article")
        .filter(article_id=article_id, language=lang, status=Status.PUBLISHED)
        .first()
    )


def article_card(translation: ArticleTranslation) -> dict[str, Any]:
    """An article as the customer sees it offered, in the chat or an email."""
    return {
        "id": translation.article_id,
        "title": translation.title,
        "url": article_url(translation),
        "snippet": translation.excerpt,
    }


def _visible(conversation: Conversation, translation: ArticleTranslation) -> bool:
    return Viewer.for_user(conversation.customer).can_see(translation.article)


# Human channels -------------------------------------------------------------------------


@dataclass(frozen=True)
class FirstReading:
    """What the assistant reads in a message a person will answer (an email)."""

    reason: str
    signals: list[dict[str, Any]]
    # The likely answer, to attach to the acknowledgement: never instead of the person.
    article: ArticleTranslation | None = None
    confidence: float | None = None
    # The open incident it is about: counted, told in the acknowledgement, shown to the agent.
    incident: status.LiveIncident | None = None


def _signals_first(message_text: str, lang: str) -> tuple[str | None, list[dict[str, Any]]]:
    """The handoff reason the lexicon's signals give (None: no person needed) and the
    signals, as the context packet keeps them."""
    result = triage(message_text, lang=lang, policy_topics=configured_policy_topics())
    if not (result.human and result.reason):
        return None, []
    return result.reason, [{**asdict(s), "evidence": list(s.evidence)} for s in result.signals]


HAND_OFF, PERSON_FIRST, SELFCARE = "hand_off", "person_first", "selfcare"


def learned_decision(need: needs.Need, *, answer_confidence: float | None, incident: bool) -> str:
    """What the learned reading of a first message the lexicon let through decides
    (needs.py): a person at once, both offered with the person first, or selfcare.

    It leans toward the person, but an article that answers the message with confidence
    says the need is likely routine: then both are offered, the person first. A known
    incident explains an outage: the model does not take it for a business stopped (the
    lexicon still does, on its evidence)."""
    if incident and need.kind == "critical_outage":
        return SELFCARE
    if need.probability >= needs.HAND_OFF:
        answered = answer_confidence is not None and answer_confidence >= ANSWER_CONFIDENCE
        return PERSON_FIRST if answered else HAND_OFF
    return PERSON_FIRST if need.probability >= needs.OFFER else SELFCARE


def _learned_signal(message_text: str, need: needs.Need) -> dict[str, Any]:
    """The learned model's reading as a signal of the context packet: it quotes no words,
    so the evidence is the start of the message."""
    excerpt = message_text if len(message_text) <= 120 else message_text[:119] + "…"
    return {"kind": need.kind, "score": need.probability, "evidence": [excerpt], "learned": True}


def read_for_person(message_text: str, *, lang: str, customer: Any) -> FirstReading:
    """Signals first (the reason and priority of the handoff); when nothing sensitive
    shows and understanding is confident, the article that likely answers it."""
    incident = status.incident_for(message_text, customer)
    reason, signals = _signals_first(message_text, lang)
    if reason is None:  # a person answers anyway: the learned reading sets the priority
        need = needs.assess(message_text, lang=lang)
        if (
            learned_decision(need, answer_confidence=None, incident=incident is not None)
            == HAND_OFF
        ):
            reason, signals = HANDOFF_REASONS[need.kind], [_learned_signal(message_text, need)]
    if incident is not None:
        signals = [*signals, status.incident_signal(incident, lang)]
    if reason is not None:
        return FirstReading(reason=reason, signals=signals, incident=incident)
    reading = FirstReading(reason=HandoffReason.HUMAN_CHANNEL, signals=signals, incident=incident)
    model = current_model(lang)
    prediction = model.predict(message_text, k=1) if model else None
    if prediction is None or prediction.out_of_scope or not prediction.ranked:
        return reading
    label, confidence = prediction.ranked[0]
    if not label.isdigit() or confidence < ANSWER_CONFIDENCE:
        return reading
    translation = _translation(int(label), lang)
    if translation is None or not Viewer.for_user(customer).can_see(translation.article):
        return reading
    return FirstReading(
        reason=reading.reason,
        signals=signals,
        article=translation,
        confidence=round(confidence, 3),
        incident=incident,
    )


# Entry points ---------------------------------------------------------------------------


@transaction.atomic(savepoint=False)  # inside the caller's transaction: no extra round trips
def on_customer_message(conversation: Conversation, message: Message) -> None:
    """Decide what to do with a new customer message."""
    if conversation.state == State.CLOSED:
        lifecycle.reopen(conversation)  # the customer came back: selfcare starts again
    if conversation.state != State.ASSISTANT:
        return  # a person owns it: the assistant says nothing until it is handed back
    with override(conversation.language):
        _respond_to_text(conversation, message.text)


@transaction.atomic(savepoint=False)
def on_action(conversation: Conversation, action: str) -> None:
    """The customer picked one of the offered choices."""
    if conversation.state == State.CLOSED:
        lifecycle.reopen(conversation)
    if conversation.state != State.ASSISTANT:
        return  # already with a person, or on the way
    with override(conversation.language):
        if action == HUMAN:
            lifecycle.request_person(conversation)
        elif action == RESOLVED:
            _resolved(conversation, how="confirmed")
        elif action == NOT_RESOLVED:
            _not_resolved(conversation)
        elif action.startswith(ARTICLE_CHOICE) and action[len(ARTICLE_CHOICE) :].isdigit():
            _answer_with(conversation, int(action[len(ARTICLE_CHOICE) :]), confidence=None)
        elif action.startswith(ACTION_CHOICE):
            _run_action(conversation, action[len(ACTION_CHOICE) :])
        elif action.startswith(NOTIFY_CHOICE) and action[len(NOTIFY_CHOICE) :].isdigit():
            _notify_when_fixed(conversation, int(action[len(NOTIFY_CHOICE) :]))
        else:
            raise ValueError(f"Unknown action {action!r}")


# Decisions --------------------------------------------------------------------------------


def _respond_to_text(conversation: Conversation, message_text: str) -> None:
    lang = conversation.language
    # The learned model reads first messages, as it was trained on (needs.py); later ones
    # are answers to the assistant ("no", "that didn't help"), read below.
    first = conversation.messages.filter(author=Author.CUSTOMER).count() <= 1
    # A known incident comes first, after the signals: a person still takes what needs one
    # (a business stopped, a vulnerable customer), with the incident in the context packet.
    incident = status.incident_for(message_text, conversation.customer)
    reason, signals = _signals_first(message_text, lang)
    need = needs.assess(message_text, lang=lang) if first and reason is None else None
    first_about_it = incident is not None and status.count_contact(incident, conversation)
    if incident is not None:
        signals = [*signals, status.incident_signal(incident, lang)]
    if reason == HandoffReason.CUSTOMER_REQUEST:
        lifecycle.request_person(conversation, signals=signals, by="assistant")
        return
    if reason is not None:
        lifecycle.hand_off(conversation, reason=reason, signals=signals)
        return
    profile = getattr(conversation.customer, "profile", None)
    if profile is not None and profile.prefers_person:
        lifecycle.hand_off(
            conversation, reason=HandoffReason.CUSTOMER_PREFERENCE, signals=signals or None
        )
        return
    if incident is not None and first_about_it:
        _tell_incident(conversation, incident)
        return
    if (
        recall(conversation).offered_articles
        and _THANKS.search(text.fold(message_text))
        and not _NEGATED.search(text.fold(message_text))
        and len(message_text.split()) <= 10
    ):
        _resolved(conversation, how="confirmed")
        return
    if recall(conversation).offered_articles and _says_it_did_not_help(text.fold(message_text)):
        _not_resolved(conversation)  # as if they had pressed "No"
        return

    model = current_model(lang)
    prediction = model.predict(message_text, k=3) if model else None
    answered = prediction is not None and not prediction.out_of_scope
    decision = SELFCARE
    if need is not None:
        decision = learned_decision(
            need,
            answer_confidence=prediction.confidence if answered and prediction else None,
            incident=incident is not None,
        )
    if need is not None and decision == HAND_OFF:
        signals = [_learned_signal(message_text, need), *signals]
        lifecycle.hand_off(conversation, reason=HANDOFF_REASONS[need.kind], signals=signals)
        return
    person_first = decision == PERSON_FIRST
    if prediction is None or prediction.out_of_scope:
        _admit(conversation, reason="out_of_scope")
        return
    ranked = [
        (int(label), p)
        for label, p in prediction.ranked
        if label.isdigit() and int(label) not in recall(conversation).offered_articles
    ]
    if not ranked:
        _admit(conversation, reason="already_offered")
        return
    ranked = _module_first(conversation, ranked)
    best, confidence = ranked[0]
    if _is_repeat_contact(conversation, best):
        lifecycle.hand_off(
            conversation,
            reason=HandoffReason.REPEAT_CONTACT,
            signals=[{"kind": "repeat_contact", "score": 1.0, "evidence": ["journey"]}],
        )
        return
    if confidence >= ANSWER_CONFIDENCE:
        _answer_with(conversation, best, confidence=confidence, person_first=person_first)
        return
    choices = [(a, p) for a, p in ranked[:3] if p >= CLARIFY_MIN]
    if len(choices) >= 2:
        _clarify(conversation, choices, person_first=person_first)
    elif choices:
        _answer_with(conversation, best, confidence=confidence, person_first=person_first)
    else:
        _admit(conversation, reason="low_confidence")


def _module_first(
    conversation: Conversation, ranked: list[tuple[int, float]]
) -> list[tuple[int, float]]:
    """Articles targeted to the product module the chat was opened from (the widget on the
    company's site says which) come first among the candidates worth offering."""
    page = conversation_page(conversation)
    module = page["module"] if page else ""
    if not module:
        return ranked
    candidates = [a for a, p in ranked if p >= CLARIFY_MIN]
    targeted = {
        pk
        for pk, modules in Article.objects.filter(pk__in=candidates).values_list("pk", "modules")
        if module in (modules or [])
    }
    # A stable sort: the module's articles first, each group in the model's order.
    return sorted(ranked, key=lambda c: c[0] not in targeted)


def _is_repeat_contact(conversation: Conversation, article_id: int) -> bool:
    """The same need came up in another conversation of the last 7 days that selfcare did not solve."""
    if conversation.customer is None and not conversation.visitor_id:
        return False
    earlier = Conversation.objects.filter(created_at__gte=timezone.now() - REPEAT_WINDOW).exclude(
        pk=conversation.pk
    )
    if conversation.customer is not None:
        earlier = earlier.filter(customer=conversation.customer)
    else:
        earlier = earlier.filter(visitor_id=conversation.visitor_id)
    for need in earlier.filter(resolved_at__isnull=True).values_list(
        "memory__detected_need", flat=True
    ):
        if need and need.get("article") == article_id:
            return True
    return False


def _answer_with(
    conversation: Conversation,
    article_id: int,
    *,
    confidence: float | None,
    person_first: bool = False,
) -> None:
    if article_id in recall(conversation).offered_articles:
        _admit(conversation, reason="already_offered")
        return
    translation = _translation(article_id, conversation.language)
    if translation is None or not _visible(conversation, translation):
        _admit(conversation, reason="not_visible")
        return
    remember(
        conversation,
        offered_articles=[*recall(conversation).offered_articles, article_id],
        detected_need={
            "article": article_id,
            "title": translation.title,
            "confidence": round(confidence, 3) if confidence is not None else None,
        },
    )
    offered_actions = [
        {"id": ACTION_CHOICE + action.name, "label": action.label()}
        for action in selfcare_actions.for_article(translation.article.key)
    ]
    body = phrasing.answer(conversation, translation)
    actions = [*offered_actions, *_feedback_actions()]
    if person_first:
        body = _person_first_line() + "\n\n" + body
        actions = [_human_action(), *(a for a in actions if a["id"] != HUMAN)]
    _say(
        conversation,
        [
            _greeting(conversation) + body + "\n\n" + _("Did this solve it?"),
            body + "\n\n" + _("Does this answer your question?"),
        ],
        articles=[article_card(translation)],
        actions=actions,
    )
    _log_turn(conversation, "answer", article=article_id, confidence=confidence)


def _person_first_line() -> str:
    return str(
        _("A person can take this now if you prefer. Here is also what our help center says:")
    )


def _clarify(
    conversation: Conversation, choices: list[tuple[int, float]], *, person_first: bool = False
) -> None:
    cards = []
    for article_id, _p in choices:
        translation = _translation(article_id, conversation.language)
        if translation is not None and _visible(conversation, translation):
            cards.append(translation)
    if len(cards) < 2:
        if cards:
            _answer_with(
                conversation,
                cards[0].article_id,
                confidence=choices[0][1],
                person_first=person_first,
            )
        else:
            _admit(conversation, reason="not_visible")
        return
    offered = {f"{ARTICLE_CHOICE}{t.article_id}" for t in cards}
    for earlier in conversation.messages.filter(author="assistant").values_list(
        "actions", flat=True
    ):
        if offered <= {a["id"] for a in earlier}:
            _admit(
                conversation, reason="clarification_repeated"
            )  # no loops: the same choices twice is a failure
            return
    question = _("I want to be sure I understand. Is it about one of these?")
    actions = [{"id": f"{ARTICLE_CHOICE}{t.article_id}", "label": t.title} for t in cards]
    if person_first:
        question = _person_first_line() + "\n\n" + question
        actions = [_human_action(), *actions]
    _say(
        conversation,
        [
            _greeting(conversation) + question,
            _("Which of these is closest to your question?"),
        ],
        articles=[article_card(t) for t in cards],
        actions=actions,
    )
    _log_turn(conversation, "clarify", articles=[t.article_id for t in cards])


def _admit(conversation: Conversation, *, reason: str) -> None:
    """Say plainly that we do not know; a failed attempt."""
    failed = _failed_once_more(conversation)
    _log_turn(conversation, "unknown", why=reason, failed_attempts=failed)
    if _escalate_if_stuck(conversation):
        return
    if reason == "out_of_scope":
        _say(
            conversation,
            [
                _greeting(conversation)
                + _(
                    "I don't have an answer to that in our help center: it is not something we cover. You can search the help center, or talk to a person."
                ),
                _(
                    "I can't answer that one either: it isn't in our help center. You can search it, or talk to a person."
                ),
            ],
        )
        return
    _say(
        conversation,
        [
            _greeting(conversation)
            + _(
                "I don't have an answer to that in our help center. You can put it in other words, or talk to a person."
            ),
            _("I still don't know that one, sorry. A person can surely help."),
        ],
    )


def _failed_once_more(conversation: Conversation) -> int:
    return remember(
        conversation, failed_attempts=recall(conversation).failed_attempts + 1
    ).failed_attempts


def _not_resolved(conversation: Conversation) -> None:
    _failed_once_more(conversation)
    events.record_conversation_event(
        conversation,
        EventKind.SELFCARE_NOT_RESOLVED,
        article=recall(conversation).detected_need.get("article"),
    )
    if _escalate_if_stuck(conversation):
        return
    _say(
        conversation,
        [
            _("Sorry it didn't help. Tell me more about what is happening, or talk to a person."),
            _(
                "Thanks for telling me. Can you describe it differently? A person is also one click away."
            ),
        ],
    )


def _escalate_if_stuck(conversation: Conversation) -> bool:
    """After two failed attempts offer a person; after three, hand off without waiting."""
    failed = recall(conversation).failed_attempts
    if failed >= MAX_FAILED_BEFORE_HANDOFF:
        lifecycle.hand_off(conversation, reason=HandoffReason.FAILED_ATTEMPTS)
        return True
    if failed >= MAX_FAILED_BEFORE_OFFER:
        _say(
            conversation,
            [
                _(
                    "I'm not managing to help you, but a person will. Shall I pass you to an advisor? They will see our conversation."
                ),
                _(
                    "Let's not go round in circles: an advisor can take it from here, with everything you told me."
                ),
            ],
            actions=[{"id": HUMAN, "label": _("Yes, talk to a person")}],
        )
        _log_turn(conversation, "offer_human", failed_attempts=failed)
        return True
    return False


def _tell_incident(conversation: Conversation, incident: status.LiveIncident) -> None:
    """What is known, when the next update comes, and a way to be told when it is fixed;
    a person stays one click away."""
    email = conversation.email or getattr(conversation.customer, "email", "")
    notify = (
        {"id": f"{NOTIFY_CHOICE}{incident.id}", "label": _("Notify me when it is fixed")}
        if email
        else {
            "id": "notify",
            "label": _("Notify me when it is fixed"),
            "url": f"{reverse('status:subscribe')}?incident={incident.id}",
        }
    )
    body = status.notice_text(incident, conversation.language)
    _say(
        conversation,
        [
            _greeting(conversation)
            + body
            + "\n\n"
            + _("I can email you when it is fixed. For anything else, a person is one click away."),
            body,
        ],
        actions=[notify, _human_action()],
    )
    _log_turn(conversation, "incident", incident=incident.id)


def _notify_when_fixed(conversation: Conversation, incident_id: int) -> None:
    email = conversation.email or getattr(conversation.customer, "email", "")
    try:
        status.subscribe_to_incident(email, incident_id, language=conversation.language)
    except ValidationError:
        _say(
            conversation,
            [
                _(
                    "This incident is already over. If something still does not work, a person can help."
                )
            ],
        )
        return
    _say(
        conversation,
        [_("Done: we will email %(email)s as soon as it is fixed.") % {"email": email}],
    )
    _log_turn(conversation, "incident_subscription", incident=incident_id)


def _rate_action(conversation: Conversation) -> dict[str, str]:
    """A selfcare resolution can be rated like a person's, from the chat itself."""
    survey = surveys.csat_for(conversation)
    return {"id": RATE, "label": _("Rate this help"), "url": surveys.survey_path(survey)}


def _resolved(conversation: Conversation, *, how: str) -> None:
    lifecycle.mark_resolved(
        conversation, article=recall(conversation).detected_need.get("article"), how=how
    )
    _say(
        conversation,
        [_("Glad that helped! If anything else comes up, I'm here, and so are our advisors.")],
        actions=[_rate_action(conversation)],
    )


def _run_action(conversation: Conversation, name: str) -> None:
    outcome = selfcare_actions.run(name, conversation=conversation)
    action, _sep, argument = name.partition(":")  # "book_appointment:<slot>"
    completed = outcome.ok and outcome.completes_need
    choices = [*outcome.choices, _rate_action(conversation)] if completed else outcome.choices
    _say(conversation, [outcome.message], actions=choices)
    if completed:
        lifecycle.mark_resolved(
            conversation,
            article=recall(conversation).detected_need.get("article"),
            how=f"action:{action}",
        )
        events.record_conversation_event(
            conversation, EventKind.SELFCARE_ACTION, action=action, argument=argument
        )
    elif not outcome.ok:
        _log_turn(conversation, "action_failed", action=action)
