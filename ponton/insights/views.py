"""Supervisors' insights pages, their CSV exports, and the actions that turn a
finding into knowledge-base work."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from ponton import spreadsheet
from ponton.accounts.models import STAFF_ROLES, CustomerProfile, Team, User, segment_label
from ponton.accounts.permissions import staff_required, supervisor_required
from ponton.audit.models import Action
from ponton.audit.services import record
from ponton.conversations.models import ConversationChannel
from ponton.insights import charts
from ponton.insights import dashboard as boards
from ponton.insights import gaps as gap_reports
from ponton.insights import incidents as incident_insights
from ponton.insights import reasons as contact_reasons
from ponton.insights.periods import Filters, Period
from ponton.insights.services import (
    DraftRequest,
    access_reply,
    draft_article,
    draft_article_from_reply,
)
from ponton.knowledge import proposals as article_proposals
from ponton.knowledge.models import ArticleTranslation, Category, ProposalStatus

PRESETS = (7, 30, 90)
SHOWN_REASONS = 25
SHOWN_FLAGS = 8
SHOWN_GAPS = 15


@dataclass
class Selection:
    """The period and filters a page was asked for, and what the form offers."""

    period: Period
    filters: Filters
    days: int | None
    query: str

    def context(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "until_shown": self.period.until - timedelta(seconds=1),
            "filters": self.filters,
            "days": self.days,
            "presets": PRESETS,
            "query": self.query,
            "channels": [("web", _("Help center and assistant"))]
            + [(value, str(label)) for value, label in ConversationChannel.choices],
            "segments": [
                (segment, segment_label(segment))
                for segment in sorted(
                    set(
                        CustomerProfile.objects.exclude(segment="").values_list(
                            "segment", flat=True
                        )
                    )
                )
            ],
            "teams": Team.objects.order_by("name"),
        }


def _local_midnight(day: Any) -> datetime:
    return timezone.make_aware(datetime(day.year, day.month, day.day))


def selection(request: HttpRequest) -> Selection:
    params = request.GET
    since_day, until_day = parse_date(params.get("since", "")), parse_date(params.get("until", ""))
    days: int | None = None
    if since_day and until_day and since_day <= until_day:
        period = Period(_local_midnight(since_day), _local_midnight(until_day + timedelta(days=1)))
    else:
        days = int(params["days"]) if params.get("days", "").isdigit() else boards.DEFAULT_DAYS
        days = min(max(days, 1), 366)
        period = Period.last_days(days)
    team = params.get("team", "")
    filters = Filters(
        channel=params.get("channel", "")[:16],
        language=params.get("language", "") if params.get("language") in ("fr", "en") else "",
        segment=params.get("segment", "")[:50],
        team=int(team) if team.isdigit() else None,
    )
    return Selection(period, filters, days, params.urlencode())


@supervisor_required
def dashboard(request: HttpRequest) -> HttpResponse:
    chosen = selection(request)
    board = boards.build(chosen.period, chosen.filters)
    return render(
        request, "insights/dashboard.html", {**chosen.context(), "board": board, "tab": "dashboard"}
    )


@supervisor_required
def reasons(request: HttpRequest) -> HttpResponse:
    chosen = selection(request)
    found = contact_reasons.contact_reasons(
        chosen.period, chosen.filters, lang=request.LANGUAGE_CODE
    )
    show_all = request.GET.get("all") == "1"
    rows = [
        (
            reason,
            charts.sparkline(reason.weekly, label=_("Contacts per week")),
            contact_reasons.level_label(reason.level).partition(":"),
        )
        for reason in (found if show_all else found[:SHOWN_REASONS])
    ]
    top = found[:20]
    return render(
        request,
        "insights/reasons.html",
        {
            **chosen.context(),
            "tab": "reasons",
            "rows": rows,
            "hidden": 0 if show_all else max(0, len(found) - SHOWN_REASONS),
            "hidden_volume": 0 if show_all else sum(r.volume for r in found[SHOWN_REASONS:]),
            "total": sum(r.volume for r in found),
            "pareto": charts.pareto(
                [(r.label, r.volume, r.cumulative_share) for r in top],
                label=_("Contact reasons, largest first, with the cumulative share"),
            ),
            "top": top,
            "to_fix": [r for r in found if r.content_to_fix][:SHOWN_FLAGS],
            "without_selfcare": [r for r in found if r.gap][:SHOWN_FLAGS],
        },
    )


@supervisor_required
def incidents(request: HttpRequest) -> HttpResponse:
    chosen = selection(request)
    figures = incident_insights.incident_figures(chosen.period, now=timezone.now())
    return render(
        request,
        "insights/incidents.html",
        {**chosen.context(), "tab": "incidents", "figures": figures},
    )


def _owners() -> list[User]:
    return list(
        User.objects.filter(role__in=STAFF_ROLES, is_active=True).order_by("first_name", "username")
    )


@supervisor_required
def gaps(request: HttpRequest) -> HttpResponse:
    chosen = selection(request)
    found = gap_reports.gaps(chosen.period, language=chosen.filters.language)
    show_all = request.GET.get("all") == "1"
    return render(
        request,
        "insights/gaps.html",
        {
            **chosen.context(),
            "tab": "gaps",
            "gaps": found if show_all else found[:SHOWN_GAPS],
            "hidden": 0 if show_all else max(0, len(found) - SHOWN_GAPS),
            "negative": gap_reports.negative_feedback(chosen.period),
            "overdue": gap_reports.overdue_reviews(),
            "owners": _owners(),
            "categories": Category.objects.all(),
            "pending_proposals": article_proposals.proposals_to_review(request.user).count(),
        },
    )


@require_POST
@supervisor_required
def draft_from_gap(request: HttpRequest) -> HttpResponse:
    """One action from a gap to a draft assigned to an owner."""
    owner_id = request.POST.get("owner", "")
    owner = User.objects.filter(pk=int(owner_id)).first() if owner_id.isdigit() else request.user
    category = Category.objects.filter(pk=request.POST.get("category") or 0).first()
    try:
        translation = draft_article(
            DraftRequest(
                title=request.POST.get("title", ""),
                language=request.POST.get("language", request.LANGUAGE_CODE),
                questions=request.POST.getlist("question"),
                owner=owner,
                category=category,
            ),
            by=request.user,
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(reverse("insights:gaps") + "?" + request.POST.get("back", ""))
    assigned = translation.article.owner
    name = (assigned.get_full_name() or assigned.get_username()) if assigned else ""
    messages.success(request, _("Draft created and assigned to %(owner)s.") % {"owner": name})
    return redirect("knowledge:edit", translation.article_id, translation.language)


@require_POST
@staff_required
def draft_from_reply(request: HttpRequest, message_id: int) -> HttpResponse:
    """An agent's reply becomes a knowledge-base draft they own."""
    message = access_reply(request.user, message_id)
    translation = draft_article_from_reply(message, by=request.user)
    messages.success(request, _("Draft created from your reply: check it, then publish."))
    return redirect("knowledge:edit", translation.article_id, translation.language)


# Proposals ---------------------------------------------------------------------------


@staff_required
def propose(request: HttpRequest, pk: int, lang: str) -> HttpResponse:
    translation = get_object_or_404(
        ArticleTranslation.objects.select_related("article__owner"), article_id=pk, language=lang
    )
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            article_proposals.propose_edit(
                translation,
                title=request.POST.get("title", ""),
                body=request.POST.get("body", ""),
                questions=request.POST.get("questions", "").splitlines(),
                note=request.POST.get("note", ""),
                by=request.user,
            )
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        else:
            messages.success(request, _("Thank you: the article's owner will review your edit."))
            return redirect("knowledge:manage")
    return render(
        request,
        "insights/propose.html",
        {"translation": translation, "errors": errors, "data": request.POST or None},
    )


@staff_required
def proposals(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "insights/proposals.html",
        {
            "to_review": article_proposals.proposals_to_review(request.user),
            "mine": article_proposals.ArticleProposal.objects.filter(proposed_by=request.user.pk)
            .select_related("translation", "reviewed_by")
            .order_by("-created_at")[:20],
        },
    )


@staff_required
def proposal(request: HttpRequest, pk: int) -> HttpResponse:
    item = article_proposals.access_proposal(request.user, pk)
    if request.method == "POST":
        decision, note = request.POST.get("decision"), request.POST.get("note", "")
        try:
            if decision == "accept":
                article_proposals.accept_proposal(item, by=request.user, note=note)
                messages.success(request, _("Edit applied to the article."))
            elif decision == "reject":
                article_proposals.reject_proposal(item, by=request.user, note=note)
                messages.success(request, _("Proposal rejected; your note is kept for its author."))
            else:
                raise Http404
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("insights:proposal", item.pk)
    return render(
        request,
        "insights/proposal.html",
        {
            "proposal": item,
            "may_review": article_proposals.may_review(request.user, item)
            and item.status == ProposalStatus.PENDING,
        },
    )


# CSV -----------------------------------------------------------------------------------


def _table(name: str, chosen: Selection, lang: str) -> list[dict[str, Any]]:
    period, filters = chosen.period, chosen.filters
    if name == "kpis":
        figures = boards.kpis.quantities(period, filters)
        previous = boards.kpis.quantities(period.previous(), filters)
        return [
            {"measure": m.key, "value": figures.get(m.key), "previous_period": previous.get(m.key)}
            for m in boards.MEASURES
        ]
    if name == "daily":
        return [
            {k: v for k, v in row.items() if k != "label"}
            for row in boards.daily_rows(period, filters)
        ]
    if name == "funnel":
        figures = boards.kpis.quantities(period, filters)
        return [{"step": k, "sessions": v} for k, v in figures["funnel"].items()]
    if name == "handoff-reasons":
        return [{"reason": r, "handoffs": n} for r, n in boards.handoff_reasons(period, filters)]
    if name == "csat":
        figures = boards.kpis.quantities(period, filters)
        return [
            {
                "after": "selfcare",
                "csat": figures["csat_after_selfcare"],
                "responses": figures["csat_after_selfcare_responses"],
            },
            {
                "after": "person",
                "csat": figures["csat_after_person"],
                "responses": figures["csat_after_person_responses"],
            },
        ]
    if name == "reasons":
        return [r.as_dict() for r in contact_reasons.contact_reasons(period, filters, lang=lang)]
    if name == "gaps":
        return [g.as_dict() for g in gap_reports.gaps(period, language=filters.language)]
    if name == "negative-feedback":
        return [h.as_dict() for h in gap_reports.negative_feedback(period)]
    if name == "overdue-reviews":
        return [
            {
                "article": a.key,
                "owner": a.owner.get_username() if a.owner else "",
                "review_due": a.review_due.isoformat() if a.review_due else "",
            }
            for a in gap_reports.overdue_reviews()
        ]
    raise Http404


@supervisor_required
def export(request: HttpRequest, table: str) -> HttpResponse:
    chosen = selection(request)
    rows = _table(table, chosen, request.LANGUAGE_CODE)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    since = timezone.localtime(chosen.period.since).date().isoformat()
    record(
        Action.EXPORT_CSV,
        target=("insights.table", table),
        request=request,
        since=chosen.period.since,
        until=chosen.period.until,
        rows=len(rows),
    )
    response["Content-Disposition"] = f'attachment; filename="{table}-{since}.csv"'
    response.write("\ufeff")  # spreadsheet software reads UTF-8 with a BOM
    columns = list(rows[0]) if rows else ["empty"]
    for row in rows[1:]:
        columns += [c for c in row if c not in columns]
    writer = csv.DictWriter(response, fieldnames=columns)
    writer.writeheader()
    for row in rows:
        writer.writerow({k: spreadsheet.cell(v) for k, v in row.items()})
    return response
