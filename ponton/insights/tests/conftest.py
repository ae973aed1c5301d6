"""Fixtures of the insights tests: a clock the test moves, helpers to drive the
web chat as a customer and to read the KPIs as a supervisor, and a guard on the
number of parameters a query carries."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone

from ponton.accounts.models import User
from ponton.accounts.services import create_api_token
from ponton.batches import MAX_PARAMS

START = "/api/v1/chat/conversations"
TOKEN_HEADER = "X-Conversation-Token"
KPIS = "/api/v1/insights/kpis"


class Clock:
    """What `django.utils.timezone.now()` answers while a test runs: a fixed
    instant, moved forward by the test (the clock is Django's, not ours)."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **delta: float) -> datetime:
        self.current += timedelta(**delta)
        return self.current


# A Tuesday morning long after any test data, so the period holds only what the test made.
FRESH_DAY = datetime(2031, 3, 4, 9, 0, tzinfo=timezone.get_fixed_timezone(60))


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[Clock]:
    clock = Clock(FRESH_DAY)
    monkeypatch.setattr(timezone, "now", clock)
    yield clock


@dataclass
class Chat:
    """A web chat as the widget drives it."""

    client: Client
    id: int
    token: str
    state: str
    last: dict[str, Any]

    @classmethod
    def start(cls, client: Client, text: str, lang: str = "fr") -> Chat:
        response = client.post(START, {"text": text, "lang": lang}, content_type="application/json")
        assert response.status_code == 201, response.content
        body = response.json()
        return cls(client, body["id"], body["token"], body["state"], body)

    def _post(self, **payload: Any) -> dict[str, Any]:
        response = self.client.post(
            f"{START}/{self.id}/messages",
            payload,
            content_type="application/json",
            headers={TOKEN_HEADER: self.token},
        )
        assert response.status_code == 201, response.content
        self.last = response.json()
        self.state = self.last["state"]
        return self.last

    def say(self, text: str) -> dict[str, Any]:
        return self._post(text=text)

    def choose(self, action: str) -> dict[str, Any]:
        return self._post(action=action)


@pytest.fixture
def supervisor_api(supervisor: User) -> Client:
    """A client authenticated as the supervisor with a bearer token."""
    return Client(headers={"Authorization": f"Bearer {create_api_token(supervisor)}"})


def read_kpis(client: Client, **params: str) -> dict[str, Any]:
    response = client.get(KPIS, params)
    assert response.status_code == 200, response.content
    return response.json()


@dataclass
class ParamsGuard:
    """Every query run inside `watch()`, with its number of parameters: one whose
    count grows with the data fails on PostgreSQL past 65,535, so none may carry
    more than `bound`, whatever the size of the data."""

    bound: int = MAX_PARAMS
    queries: int = 0
    largest: int = 0
    worst: str = field(default="", repr=False)

    def _count(self, params: Any, many: bool) -> int:
        if not params:
            return 0
        if many:
            return max((len(p) for p in params), default=0)
        return len(params)

    def _wrapper(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        count = self._count(params, many)
        self.queries += 1
        if count > self.largest:
            self.largest, self.worst = count, sql
        assert count <= self.bound, f"{count} parameters in: {sql[:300]}"
        return execute(sql, params, many, context)

    @contextmanager
    def watch(self) -> Iterator[ParamsGuard]:
        with connection.execute_wrapper(self._wrapper):
            yield self


@pytest.fixture
def params_guard() -> ParamsGuard:
    return ParamsGuard()
