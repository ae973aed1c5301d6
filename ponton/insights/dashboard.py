"""What the supervisors' pages show, assembled from the measured quantities.

Views render these; the CSV exports write the same rows, so a chart, its
table and its file always agree.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from ponton.conversations.models import Conversation, HandoffReason
from ponton.insights import charts, kpis
from ponton.insights.periods import Filters, Period
from ponton.insights.reasons import REPEAT_WINDOW, repeat_contact_rates
from ponton.insights.service_levels import with_a_person


def percent(value: float | None) -> str:
    # A no-break space: "12,5 %" never wraps before its sign.
    return "—" if value is None else f"{formats.number_format(value * 100, 1)}\u00a0%"


def signed(value: float, digits: int) -> str:
    """+1,5 or -0,4 in French, +1.5 or -0.4 in English: a change, always with its sign."""
    rounded = round(value, digits)
    shown = formats.number_format(abs(rounded), digits)
    return ("-" if rounded < 0 else "+") + shown


def number(value: float | None) -> str:
    return "—" if value is None else formats.number_format(value, 0, force_grouping=True)


def score(value: float | None) -> str:
    return "—" if value is None else formats.number_format(value, 2)


def duration(value: float | None) -> str:
    if value is None:
        return "—"
    seconds = round(value)
    if seconds < 120:
        return _("%(n)s s") % {"n": seconds}
    if seconds < 7200:
        return _("%(n)s min") % {"n": round(seconds / 60)}
    return _("%(n)s h") % {"n": formats.number_format(seconds / 3600, 1)}


@dataclass(frozen=True)
class Measure:
    key: str
    label: Any
    fmt: Callable[[float | None], str]
    higher_is_better: bool | None
    help: Any = ""
    is_rate: bool = False


MEASURES = [
    Measure("sessions", gettext_lazy("Sessions"), number, None),
    Measure(
        "selfcare_usage_rate",
        gettext_lazy("Selfcare usage"),
        percent,
        True,
        gettext_lazy("Sessions with a search, an article, an assistant answer or an action."),
        True,
    ),
    Measure(
        "deflection_rate",
        gettext_lazy("Deflection"),
        percent,
        True,
        gettext_lazy("Selfcare attempts with no ticket or handoff within 72 h."),
        True,
    ),
    Measure(
        "autonomous_resolution_rate",
        gettext_lazy("Autonomous resolution"),
        percent,
        True,
        gettext_lazy("Selfcare attempts confirmed solved (“yes, solved”, an action done)."),
        True,
    ),
    Measure(
        "escalation_rate_after_selfcare",
        gettext_lazy("Escalation after selfcare"),
        percent,
        None,
        gettext_lazy("Selfcare attempts followed by a handoff in the same session."),
        True,
    ),
    Measure(
        "mean_seconds_before_escalation",
        gettext_lazy("Time before escalation"),
        duration,
        False,
        gettext_lazy("Mean time from the first selfcare step to the handoff."),
    ),
    Measure(
        "wall_index",
        gettext_lazy("Wall index"),
        percent,
        False,
        gettext_lazy(
            "Handoffs that came only after asking for a person twice or three failed answers. Target: 0."
        ),
        True,
    ),
    Measure("csat_after_selfcare", gettext_lazy("CSAT after selfcare"), score, True, "1 - 5"),
    Measure("csat_after_person", gettext_lazy("CSAT after a person"), score, True, "1 - 5"),
    Measure("nps", gettext_lazy("NPS"), score, True, "-100 … 100"),
    Measure(
        "ces", gettext_lazy("Customer effort (CES)"), score, True, gettext_lazy("7 = very easy")
    ),
    Measure("first_response_seconds", gettext_lazy("First response time"), duration, False),
    Measure("resolution_seconds", gettext_lazy("Time to resolution"), duration, False),
    Measure(
        "first_contact_resolution_rate",
        gettext_lazy("First contact resolution"),
        percent,
        True,
        "",
        True,
    ),
    Measure("sla_breach_rate", gettext_lazy("SLA breaches"), percent, False, "", True),
    Measure(
        "backlog",
        gettext_lazy("Backlog"),
        number,
        False,
        gettext_lazy("With a person and not resolved at the end of the period."),
    ),
    Measure(
        "repeat_contact_rate",
        gettext_lazy("Repeat contacts"),
        percent,
        False,
        gettext_lazy("Same customer, same reason, within 7 days."),
        True,
    ),
]


@dataclass
class Tile:
    measure: Measure
    value: float | None
    previous: float | None

    @property
    def shown(self) -> str:
        return self.measure.fmt(self.value)

    @property
    def previous_shown(self) -> str:
        return self.measure.fmt(self.previous)

    @property
    def change(self) -> str:
        if self.value is None or self.previous is None:
            return ""
        delta = self.value - self.previous
        if self.measure.is_rate:
            return _("%(change)s pt") % {"change": signed(delta * 100, 1)}
        if self.previous:
            return f"{signed(delta / abs(self.previous) * 100, 0)}\u00a0%"
        return ""

    @property
    def trend(self) -> str:
        """good, bad or flat, from the measure's better direction."""
        if self.value is None or self.previous is None or self.value == self.previous:
            return "flat"
        if self.measure.higher_is_better is None:
            return "flat"
        return "good" if (self.value > self.previous) == self.measure.higher_is_better else "bad"


@dataclass
class Dashboard:
    period: Period
    filters: Filters
    tiles: list[Tile]
    figures: dict[str, Any]
    daily: list[dict[str, Any]]
    funnel: list[tuple[str, int]]
    handoff_reasons: list[tuple[str, int]]

    def tile(self, key: str) -> Tile:
        return next(t for t in self.tiles if t.measure.key == key)

    @property
    def sessions_chart(self) -> Any:
        return charts.line_chart(
            [d["label"] for d in self.daily],
            [charts.Series(_("Sessions"), [d["sessions"] for d in self.daily])],
            label=_("Sessions per day"),
            fmt=lambda v: f"{v:.0f}",
        )

    @property
    def rates_chart(self) -> Any:
        return charts.line_chart(
            [d["label"] for d in self.daily],
            [
                charts.Series(
                    _("Selfcare usage"), [d["selfcare_usage_rate"] for d in self.daily], "s1"
                ),
                charts.Series(_("Deflection"), [d["deflection_rate"] for d in self.daily], "s2"),
                charts.Series(
                    _("Autonomous resolution"),
                    [d["autonomous_resolution_rate"] for d in self.daily],
                    "s3",
                ),
                charts.Series(
                    _("Escalation after selfcare"),
                    [d["escalation_rate_after_selfcare"] for d in self.daily],
                    "s4",
                ),
            ],
            label=_("Selfcare rates per day"),
            fmt=lambda v: f"{v:.0%}",
            maximum=1.0,
        )

    @property
    def funnel_chart(self) -> Any:
        return charts.bars(self.funnel, label=_("Selfcare funnel"), fmt=number)

    @property
    def handoff_chart(self) -> Any:
        return charts.bars(self.handoff_reasons, label=_("Handoff reasons"), fmt=number, css="s4")

    @property
    def csat_rows(self) -> list[tuple[str, float]]:
        return [
            (_("After selfcare"), self.figures["csat_after_selfcare"] or 0.0),
            (_("After a person"), self.figures["csat_after_person"] or 0.0),
        ]

    @property
    def csat_chart(self) -> Any:
        return charts.bars(
            self.csat_rows, label=_("CSAT after selfcare and after a person"), fmt=score, maximum=5
        )


def funnel_rows(funnel: dict[str, int]) -> list[tuple[str, int]]:
    names = {
        "visit": _("Visited"),
        "search": _("Searched"),
        "article": _("Read an article"),
        "assistant": _("Used the assistant"),
        "voice_menu": _("Called the voice menu"),
        "resolved": _("Resolved in selfcare"),
        "handed_off": _("Handed to a person"),
    }
    return [(names[k], funnel[k]) for k in names]


def handoff_reasons(period: Period, filters: Filters) -> list[tuple[str, int]]:
    conversations = filters.conversations(
        with_a_person().filter(handed_off_at__gte=period.since, handed_off_at__lt=period.until)
    )
    counts = Counter(conversations.values_list("handoff_reason", flat=True))
    labels = dict(HandoffReason.choices)
    return [
        (str(labels.get(reason, reason or _("Unknown"))), n) for reason, n in counts.most_common()
    ]


def daily_rows(
    period: Period, filters: Filters, daily: dict[Any, kpis.Totals] | None = None
) -> list[dict[str, Any]]:
    if daily is None:
        _total, daily = kpis.session_totals(period, filters)
    rows = []
    for day in period.days():
        figures = daily.get(day, kpis.Totals()).quantities()
        rows.append(
            {
                "day": day.isoformat(),
                "label": formats.date_format(day, "j M"),
                **{
                    k: figures[k]
                    for k in (
                        "sessions",
                        "selfcare_attempts",
                        "selfcare_usage_rate",
                        "deflection_rate",
                        "autonomous_resolution_rate",
                        "escalation_rate_after_selfcare",
                        "wall_index",
                    )
                },
            }
        )
    return rows


# The repeat-contact rate classifies every contact of five weeks (their reasons, read
# from the journey and the assistant's model): the heaviest figure of the page. Over
# days that are over, it is kept this long; the rollup task computes the default
# page's again after each run, so a supervisor opening the dashboard never waits.
REPEAT_CACHE_SECONDS = 20 * 60
DEFAULT_DAYS = 30


def repeat_rates(
    period: Period, filters: Filters, *, now: datetime | None = None
) -> tuple[float | None, float | None]:
    """The repeat-contact rates of `period` and of the period before it."""
    previous = period.previous()
    if period.until > (now or timezone.now()):  # today's contacts still change it
        current, before = repeat_contact_rates([period, previous], filters)
        return current, before
    window = Conversation.objects.filter(
        created_at__gte=previous.since - REPEAT_WINDOW, created_at__lt=period.until
    ).aggregate(n=Count("pk"), last=Max("pk"))
    key = (
        "insights:repeat:"
        + hashlib.sha256(repr((period, filters, window["n"], window["last"])).encode()).hexdigest()
    )
    cached = cache.get(key)
    if cached is None:
        cached = tuple(repeat_contact_rates([period, previous], filters))
        cache.set(key, cached, REPEAT_CACHE_SECONDS)
    return cached[0], cached[1]


def warm(now: datetime | None = None) -> None:
    """Compute the default dashboard's slowest figures ahead of its first reader."""
    repeat_rates(Period.last_days(DEFAULT_DAYS, now=now), Filters(), now=now)


def build(period: Period, filters: Filters) -> Dashboard:
    repeat_now, repeat_before = repeat_rates(period, filters)
    figures, daily = kpis.quantities_and_daily(period, filters, repeat_rate=repeat_now)
    previous, _daily = kpis.quantities_and_daily(
        period.previous(), filters, daily=False, repeat_rate=repeat_before
    )
    return Dashboard(
        period=period,
        filters=filters,
        tiles=[Tile(m, figures.get(m.key), previous.get(m.key)) for m in MEASURES],
        figures=figures,
        daily=daily_rows(period, filters, daily),
        funnel=funnel_rows(figures["funnel"]),
        handoff_reasons=handoff_reasons(period, filters),
    )
