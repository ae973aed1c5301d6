"""Background work of conversations: surveys, re-routing and service-level checks
(answers leave by the email channel's tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import override

from ponton.accounts.models import Role, User
from ponton.conversations import routing, sla, surveys
from ponton.conversations.models import Conversation, Survey
from ponton.tasks.services import register


@register("conversations.send_survey")
def send_survey(conversation_id: int) -> None:
    conversation = Conversation.objects.filter(pk=conversation_id).first()
    if conversation is None:
        return
    surveys.email_survey(surveys.csat_for(conversation))


@register("conversations.email_survey")
def email_survey(survey_id: int) -> None:
    survey = Survey.objects.filter(pk=survey_id).first()
    if survey is not None:
        surveys.email_survey(survey)


@register("conversations.send_nps", every=timedelta(days=1))
def send_nps() -> None:
    """The NPS round: customers in touch lately who were not asked in 90 days (idempotent;
    also `ponton send-nps`)."""
    surveys.send_nps_surveys()


# Routing and service levels ------------------------------------------------------------


@register("conversations.reroute")
def reroute(conversation_id: int) -> None:
    """A handoff offered to an agent who did not take it goes to the next one."""
    routing.reroute(conversation_id)


@register("conversations.offer_waiting", every=timedelta(minutes=1))
def offer_waiting() -> None:
    """Agents who have room again (a conversation solved, a transfer) get waiting work."""
    routing.offer_waiting_work()


@register("conversations.check_sla", every=timedelta(minutes=1))
def check_sla() -> None:
    sla.check_breaches()


@register("conversations.email_sla_breaches")
def email_sla_breaches(conversation_ids: list[int]) -> None:
    """Tell supervisors, in their language, which conversations missed their service level."""
    conversations = list(
        Conversation.objects.filter(pk__in=conversation_ids)
        .select_related("team", "assignee")
        .order_by("pk")
    )
    if not conversations:
        return
    supervisors = User.objects.filter(role=Role.SUPERVISOR, is_active=True).exclude(email="")
    if not supervisors.exists():
        supervisors = User.objects.filter(role=Role.ADMIN, is_active=True).exclude(email="")
    for supervisor in supervisors:
        with override(supervisor.language):
            lines = [
                _("#%(id)s · %(team)s · %(assignee)s · priority %(priority)s")
                % {
                    "id": c.pk,
                    "team": c.team or _("no team"),
                    "assignee": (c.assignee.get_full_name() or c.assignee.username)
                    if c.assignee
                    else _("unassigned"),
                    "priority": c.priority,
                }
                for c in conversations
            ]
            url = settings.SITE_URL.rstrip("/") + reverse("supervision:board")
            send_mail(
                subject=_("Service level missed on %(n)s conversation(s)") % {"n": len(lines)},
                message=_(
                    "Hello,\n\nThese conversations missed their service level:\n\n%(lines)s\n\nSupervision: %(url)s\n"
                )
                % {"lines": "\n".join(lines), "url": url},
                from_email=None,
                recipient_list=[supervisor.email],
            )
