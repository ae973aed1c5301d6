"""How far behind the rollup is, on the supervision page, in French and English."""

from __future__ import annotations

from datetime import timedelta

from django.test import Client

from ponton.accounts.models import User
from ponton.insights import kpis
from ponton.insights.progress import LAG_WARNING, rollup_lag
from ponton.insights.tests.conftest import Clock
from ponton.journeys.models import EventKind
from ponton.journeys.services import record_event

FR = "/fr/agent/supervision/"
EN = "/en/agent/supervision/"


def read_an_article(clock: Clock) -> None:
    record_event(EventKind.ARTICLE_VIEW, visitor_id="v1", data={"article": 1}, occurred_at=clock())


def test_a_rollup_that_keeps_up_is_under_an_hour_behind(db: None, clock: Clock) -> None:
    read_an_article(clock)
    clock.advance(hours=1)
    kpis.roll_up()
    lag = rollup_lag(clock())
    assert lag.lag == timedelta(minutes=30)  # the rollup waits for sessions to end
    assert not lag.behind


def test_a_rollup_that_stopped_running_shows_as_behind(db: None, clock: Clock) -> None:
    read_an_article(clock)
    clock.advance(hours=1)
    kpis.roll_up()
    lag = rollup_lag(clock.advance(hours=3))
    assert lag.lag == timedelta(hours=3, minutes=30)
    assert lag.lag > LAG_WARNING and lag.behind


def test_a_rollup_that_never_ran_has_no_lag_to_show(db: None, clock: Clock) -> None:
    lag = rollup_lag(clock())
    assert lag.rolled_until is None and lag.lag is None and not lag.behind


def test_the_supervision_page_says_how_far_behind_the_rollup_is_in_french_and_english(
    client: Client, supervisor: User, clock: Clock
) -> None:
    client.force_login(supervisor)
    assert "pas encore été consolidés" in client.get(FR).content.decode()
    read_an_article(clock)
    clock.advance(hours=1)
    kpis.roll_up()
    french = client.get(FR).content.decode()
    assert "Indicateurs consolidés jusqu" in french and "En retard" not in french
    clock.advance(hours=5)
    french = client.get(FR).content.decode()
    assert "En retard" in french and "vérifiez que le traitement des tâches" in french
    english = client.get(EN).content.decode()
    assert "Insights figures rolled up until" in english and "Behind" in english
    assert "5\xa0hours, 30\xa0minutes behind" in english
