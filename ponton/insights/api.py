"""Insights endpoints for supervisors: the measured quantities of DESIGN.md."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.inputs import ID_SCHEMA, id_or_none
from ponton.insights.kpis import Filters, Period, quantities

DEFAULT_DAYS = 30


class IsSupervisor(BasePermission):
    message = "Supervisors and admins only."

    def has_permission(self, request: Request, view: Any) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_supervisor)


def parse_instant(value: str, name: str) -> datetime:
    """An ISO date-time (naive means local time) or a date (its local midnight)."""
    value = value.strip().replace(" ", "+")  # a '+' offset arrives as a space in a query string
    at = parse_datetime(value)
    if at is None:
        day = parse_date(value)
        if day is None:
            raise ValidationError({name: "An ISO 8601 date or date-time."})
        at = datetime(day.year, day.month, day.day)
    if timezone.is_naive(at):
        at = timezone.make_aware(at)
    return at


def period_from(params: Any) -> Period:
    until = parse_instant(params["until"], "until") if "until" in params else timezone.now()
    since = (
        parse_instant(params["since"], "since")
        if "since" in params
        else until - timedelta(days=DEFAULT_DAYS)
    )
    if since >= until:
        raise ValidationError({"since": "Must come before 'until'."})
    return Period(since, until)


def filters_from(params: Any) -> Filters:
    team = params.get("team", "").strip()
    team_id = id_or_none(team)
    if team and not team_id:
        raise ValidationError({"team": "A team id."})
    language = params.get("language", "").strip()
    if language not in ("", "fr", "en"):
        raise ValidationError({"language": "fr or en."})
    return Filters(
        channel=params.get("channel", "").strip(),
        language=language,
        segment=params.get("segment", "").strip(),
        team=team_id,
    )


class KpisView(APIView):
    permission_classes = [IsSupervisor]

    @extend_schema(
        operation_id="insights_kpis",
        parameters=[
            OpenApiParameter("since", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("until", OpenApiTypes.DATETIME, required=False),
            OpenApiParameter("channel", str, required=False),
            OpenApiParameter("language", str, enum=["fr", "en"], required=False),
            OpenApiParameter("segment", str, required=False),
            OpenApiParameter("team", ID_SCHEMA, required=False),
        ],
        responses=OpenApiTypes.OBJECT,
    )
    def get(self, request: Request) -> Response:
        """The measured quantities over [since, until) (default: the last 30 days),
        as defined in DESIGN.md; rates are fractions from 0 to 1, null when undefined."""
        return Response(
            quantities(period_from(request.query_params), filters_from(request.query_params))
        )
