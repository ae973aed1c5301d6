"""Generate a large journey log quickly, for `ponton bench-kpis`.

Sessions follow the shapes of real traffic (help-center reading, searches
with and without results, chats answered or handed off, some walls, tickets
days later, survey answers) so that every quantity has something to count.
Rows go in with COPY on PostgreSQL and with batched inserts elsewhere.
"""

from __future__ import annotations

import json
import random
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction

from ponton.accounts.models import CustomerProfile, Role, User
from ponton.journeys.models import EventKind, JourneyEvent

Row = tuple[datetime, str, uuid.UUID, str, int | None, str, str, dict[str, Any]]
BATCH = 20_000
SEGMENTS = ["residential", "residential", "residential", "business", "student"]


def bench_customers(count: int) -> list[int]:
    """Customers to sign journeys with (created once, reused by later runs)."""
    existing = list(User.objects.filter(username__startswith="bench-").values_list("pk", flat=True))
    if len(existing) >= count:
        return existing[:count]
    users = User.objects.bulk_create(
        [
            User(username=f"bench-{n}", role=Role.CUSTOMER, email=f"bench-{n}@example.net")
            for n in range(len(existing), count)
        ],
        batch_size=BATCH,
    )
    CustomerProfile.objects.bulk_create(
        [CustomerProfile(user=u, segment=SEGMENTS[u.pk % len(SEGMENTS)]) for u in users],
        batch_size=BATCH,
    )
    return existing + [u.pk for u in users]


class Traffic:
    def __init__(self, *, rng: random.Random, customers: list[int], start: datetime, end: datetime):
        self.rng = rng
        self.customers = customers
        self.start = start
        self.seconds = int((end - start).total_seconds())
        self.visitors = [str(uuid.uuid4()) for _ in range(max(1000, len(customers) * 4))]
        self.conversation = 10_000_000

    def _new_conversation(self) -> int:
        self.conversation += 1
        return self.conversation

    def session(self) -> list[Row]:
        rng = self.rng
        customer = rng.choice(self.customers) if self.customers and rng.random() < 0.4 else None
        visitor = rng.choice(self.visitors)
        lang = "en" if rng.random() < 0.2 else "fr"
        session = uuid.uuid4()
        at = self.start + timedelta(seconds=rng.randrange(self.seconds - 3600))
        rows: list[Row] = []
        channel = "web"

        def step(kind: str, **data: Any) -> None:
            nonlocal at
            at += timedelta(seconds=rng.randint(5, 240))
            rows.append((at, kind, session, visitor, customer, channel, lang, data))

        if rng.random() < 0.25:
            channel = "chat"
            conversation = self._new_conversation()
            step(EventKind.MESSAGE, conversation=conversation, author="customer")
            roll = rng.random()
            if roll < 0.08:
                step(
                    EventKind.HANDOFF,
                    conversation=conversation,
                    reason="customer_request",
                    person_requests=1,
                    failed_attempts=0,
                )
            elif roll < 0.11:
                for _turn in range(3):
                    step(EventKind.ASSISTANT_TURN, conversation=conversation, decision="unknown")
                    step(EventKind.MESSAGE, conversation=conversation, author="customer")
                step(
                    EventKind.HANDOFF,
                    conversation=conversation,
                    reason="failed_attempts",
                    person_requests=0,
                    failed_attempts=3,
                )
            else:
                article = rng.randint(1, 120)
                step(
                    EventKind.ASSISTANT_TURN,
                    conversation=conversation,
                    decision="answer",
                    article=article,
                )
                outcome = rng.random()
                if outcome < 0.4:
                    step(EventKind.SELFCARE_RESOLVED, conversation=conversation, how="confirmed")
                elif outcome < 0.6:
                    step(EventKind.SELFCARE_NOT_RESOLVED, conversation=conversation)
                    step(
                        EventKind.HANDOFF,
                        conversation=conversation,
                        reason="customer_request",
                        person_requests=1,
                        failed_attempts=1,
                    )
                    step(EventKind.MESSAGE, conversation=conversation, author="agent")
                    if rng.random() < 0.3:
                        step(
                            "survey_answer",
                            conversation=conversation,
                            survey="csat",
                            score=rng.randint(1, 5),
                            resolved_by="person",
                        )
            return rows
        step(EventKind.PAGE_VIEW, page="home")
        if rng.random() < 0.8:
            results = 0 if rng.random() < 0.08 else rng.randint(1, 10)
            step(EventKind.SEARCH, query="bench", results=results)
            if results and rng.random() < 0.75:
                article = rng.randint(1, 120)
                step(EventKind.SEARCH_CLICK, article=article, query="bench")
                step(EventKind.ARTICLE_VIEW, article=article)
                if rng.random() < 0.4:
                    step(EventKind.ARTICLE_FEEDBACK, article=article, helpful=rng.random() < 0.75)
        if rng.random() < 0.12:
            conversation = self._new_conversation()
            step(EventKind.CONTACT_REQUEST, conversation=conversation)
            step(
                EventKind.HANDOFF,
                conversation=conversation,
                reason="customer_request",
                person_requests=1,
                failed_attempts=0,
            )
        return rows


def generate(
    *,
    events: int,
    start: datetime,
    end: datetime,
    customers: list[int],
    seed: int = 11,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert about `events` journey events between `start` and `end`; returns how many."""
    traffic = Traffic(rng=random.Random(seed), customers=customers, start=start, end=end)

    def batches() -> Iterator[list[Row]]:
        batch: list[Row] = []
        made = 0
        while made < events:
            rows = traffic.session()
            batch.extend(rows)
            made += len(rows)
            if len(batch) >= BATCH:
                yield batch
                batch = []
        if batch:
            yield batch

    written = 0
    for batch in batches():
        write_events(batch)
        written += len(batch)
        if progress is not None:
            progress(written)
    return written


@transaction.atomic
def write_events(rows: list[Row]) -> None:
    """Insert journey events as they are given: COPY on PostgreSQL, batched inserts elsewhere."""
    if connection.vendor == "postgresql":
        table = JourneyEvent._meta.db_table
        columns = "occurred_at, kind, session_id, visitor_id, customer_id, channel, language, data"
        with (
            connection.cursor() as cursor,
            cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy,
        ):
            for at, kind, session, visitor, customer, channel, lang, data in rows:
                copy.write_row(
                    (at, kind, session, visitor, customer, channel, lang, json.dumps(data))
                )
        return
    JourneyEvent.objects.bulk_create(
        [
            JourneyEvent(
                occurred_at=at,
                kind=kind,
                session_id=session,
                visitor_id=visitor,
                customer_id=customer,
                channel=channel,
                language=lang,
                data=data,
            )
            for at, kind, session, visitor, customer, channel, lang, data in rows
        ],
        batch_size=2000,
    )
