"""Surveys: CSAT (with an effort question) after a resolved conversation, NPS now
and then. Each survey is answered once, without signing in, through a signed
link; every answer goes to the journey log, where the KPIs read it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import Role, User
from ponton.conversations.models import Conversation, Survey, SurveyKind
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event
from ponton.tasks.services import enqueue
from ponton.webhooks import payloads
from ponton.webhooks.services import emit

SALT = "ponton.survey"
LINK_MAX_AGE = 60 * 60 * 24 * 30  # a month to answer
SCALES = {SurveyKind.CSAT: (1, 5), SurveyKind.NPS: (0, 10)}
EFFORT_SCALE = (1, 7)  # 7: very easy
# NPS: asked of customers who were in touch lately, at most once in this period.
NPS_PERIOD = timedelta(days=90)
NPS_BATCH = 500


def survey_token(survey: Survey) -> str:
    return signing.dumps(survey.pk, salt=SALT, compress=True)


def survey_path(survey: Survey) -> str:
    """The signed link without the site, for pages and the chat widget on our own origin."""
    with override(survey.language):
        return reverse("surveys:answer", kwargs={"token": survey_token(survey)})


def survey_url(survey: Survey) -> str:
    return settings.SITE_URL.rstrip("/") + survey_path(survey)


def access_survey(token: str) -> Survey:
    """The survey a signed link points to; a forged, expired or unknown link is a 404."""
    try:
        pk = signing.loads(token, salt=SALT, max_age=LINK_MAX_AGE)
    except signing.BadSignature:
        raise Http404 from None
    survey = Survey.objects.select_related("conversation").filter(pk=pk).first()
    if survey is None:
        raise Http404
    return survey


def resolved_by(conversation: Conversation) -> str:
    """'person' once an agent has answered, else 'selfcare'."""
    return "person" if conversation.first_response_at or conversation.assignee_id else "selfcare"


@transaction.atomic
def csat_for(conversation: Conversation) -> Survey:
    """The conversation's satisfaction survey, created once."""
    survey, _created = Survey.objects.get_or_create(
        conversation=conversation,
        kind=SurveyKind.CSAT,
        defaults={
            "customer": conversation.customer,
            "email": conversation.email,
            "language": conversation.language,
            "resolved_by": resolved_by(conversation),
        },
    )
    return survey


def email_survey(survey: Survey) -> None:
    """Send the link (idempotent enough to retry: the survey itself is created once)."""
    if not survey.email or survey.answered_at:
        return
    with override(survey.language):
        if survey.kind == SurveyKind.NPS:
            subject = _("Would you recommend us?")
            body = _(
                "Hello,\n\nOne question, ten seconds: how likely are you to recommend us to a "
                "friend or colleague?\n\n%(url)s\n"
            )
        else:
            subject = _("How did we do on your request #%(id)s?") % {"id": survey.conversation_id}
            body = _(
                "Hello,\n\nYour request is solved. Tell us in one click how it went:\n\n%(url)s\n\n"
                "If it is not solved after all, just reply in the conversation: it reopens.\n"
            )
        send_mail(
            subject=subject,
            message=body % {"url": survey_url(survey)},
            from_email=None,
            recipient_list=[survey.email],
        )


def _check_scale(value: Any, scale: tuple[int, int], field: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not scale[0] <= value <= scale[1]:
        raise ValidationError(
            {
                field: _("Choose a number from %(low)s to %(high)s.")
                % {"low": scale[0], "high": scale[1]}
            }
        )
    return value


@transaction.atomic
def answer_survey(
    survey: Survey, *, score: int, effort: int | None = None, comment: str = ""
) -> Survey:
    """Record the answer, once; each figure goes to the journey log."""
    locked = Survey.objects.select_for_update().get(pk=survey.pk)
    if locked.answered_at is not None:
        raise ValidationError({"score": _("This survey has already been answered. Thank you!")})
    locked.score = _check_scale(score, SCALES[SurveyKind(locked.kind)], "score")
    if effort is not None:
        locked.effort = _check_scale(effort, EFFORT_SCALE, "effort")
    locked.comment = comment.strip()[:2000]
    locked.answered_at = timezone.now()
    locked.save()
    conversation = locked.conversation
    base = {"conversation": locked.conversation_id, "resolved_by": locked.resolved_by}
    answers = [{**base, "survey": locked.kind, "score": locked.score, "comment": locked.comment}]
    if locked.effort is not None:
        answers.append({**base, "survey": "ces", "score": locked.effort})
    for data in answers:
        record_event(
            EventKind.SURVEY_ANSWER,
            customer=locked.customer,
            visitor_id=conversation.visitor_id if conversation else "",
            channel=conversation.channel if conversation else "web",
            language=locked.language,
            data=data,
        )
    emit("survey.answered", payloads.survey(locked))
    return locked


# Periodic NPS --------------------------------------------------------------------------


def nps_due(now: datetime) -> QuerySet[User]:
    """Customers with a conversation in the last 90 days and no NPS survey in them."""
    since = now - NPS_PERIOD
    return (
        User.objects.filter(role=Role.CUSTOMER, is_active=True)
        .exclude(email="")
        .filter(Exists(Conversation.objects.filter(customer=OuterRef("pk"), created_at__gte=since)))
        .exclude(
            Exists(
                Survey.objects.filter(
                    customer=OuterRef("pk"), kind=SurveyKind.NPS, created_at__gte=since
                )
            )
        )
    )


def send_nps_surveys(*, now: datetime | None = None) -> int:
    """Ask each customer due one the NPS question by email; returns how many were asked.

    Idempotent: running it again the same day (or twice at once) asks nobody
    twice. Each batch holds a lock on its customers while it checks and writes.
    """
    now = now or timezone.now()
    asked = 0
    after = 0  # each batch starts past the last one: a customer is looked at once per run
    while True:
        with transaction.atomic():
            due = nps_due(now).filter(pk__gt=after).order_by("pk")
            ids = list(due.values_list("pk", flat=True)[:NPS_BATCH])
            if not ids:
                return asked
            after = ids[-1]
            list(User.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
            for customer in nps_due(now).filter(pk__in=ids):
                survey = Survey.objects.create(
                    kind=SurveyKind.NPS,
                    customer=customer,
                    email=customer.email,
                    language=customer.language,
                )
                enqueue(
                    "conversations.email_survey",
                    survey_id=survey.pk,
                    dedupe_key=f"survey-email:{survey.pk}",
                )
                asked += 1
