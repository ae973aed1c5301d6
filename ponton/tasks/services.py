"""Durable background tasks: stored before they run, retried with backoff, idempotent.

    @register("assistant.retrain")
    def retrain(lang: str) -> None: ...

    enqueue("assistant.retrain", lang="fr", dedupe_key="retrain:fr")

    @register("conversations.check_sla", every=timedelta(minutes=1))
    def check_sla() -> None: ...  # periodic: the worker enqueues it when due

Handlers take plain JSON arguments (ids, not objects) and must be idempotent:
a task may run again after a crash between its work and its bookkeeping.
"""

from __future__ import annotations

import logging
import threading
import traceback
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from ponton.tasks.models import Task, TaskStatus

logger = logging.getLogger(__name__)

Handler = Callable[..., None]
_handlers: dict[str, Handler] = {}
_periodic: dict[str, timedelta] = {}
_attempts: dict[str, int] = {}
DEFAULT_ATTEMPTS = 5
MAX_BACKOFF = timedelta(hours=1)
STALE_AFTER = timedelta(minutes=10)  # a running task older than this lost its worker
BACKOFF_BASE_SECONDS = 5


def register(
    name: str, *, every: timedelta | None = None, attempts: int = DEFAULT_ATTEMPTS
) -> Callable[[Handler], Handler]:
    """Name a task handler; with `every`, workers also run it periodically (no arguments).
    A failed run is tried again with backoff (doubling, at most an hour apart) until
    `attempts` runs have failed."""

    def decorator(handler: Handler) -> Handler:
        _handlers[name] = handler
        _attempts[name] = attempts
        if every is not None:
            _periodic[name] = every
        return handler

    return decorator


def enqueue(
    name: str, *, dedupe_key: str = "", delay: timedelta | None = None, **kwargs: Any
) -> Task | None:
    """Store a task; with `dedupe_key`, at most one pending copy exists (returns None for a duplicate)."""
    if name not in _handlers:
        raise KeyError(f"No task handler registered as {name!r}")
    try:
        with transaction.atomic():
            return Task.objects.create(
                name=name,
                kwargs=kwargs,
                dedupe_key=dedupe_key,
                max_attempts=_attempts.get(name, DEFAULT_ATTEMPTS),
                run_after=timezone.now() + (delay or timedelta()),
            )
    except IntegrityError:
        if dedupe_key:
            return None
        raise


def _claim(task_id: int) -> bool:
    """Take a due task for this worker; False when another worker was faster."""
    return bool(
        Task.objects.filter(pk=task_id, status=TaskStatus.PENDING).update(
            status=TaskStatus.RUNNING, started_at=timezone.now()
        )
    )


def run_due(limit: int = 20) -> int:
    """Run the tasks that are due; returns how many ran (successfully or not)."""
    now = timezone.now()
    Task.objects.filter(status=TaskStatus.RUNNING, started_at__lt=now - STALE_AFTER).update(
        status=TaskStatus.PENDING
    )
    due = Task.objects.filter(status=TaskStatus.PENDING, run_after__lte=now).order_by(
        "run_after", "id"
    )
    ran = 0
    for task in list(due[:limit]):
        if not _claim(task.pk):
            continue
        ran += 1
        _run(task)
    return ran


def _run(task: Task) -> None:
    handler = _handlers.get(task.name)
    attempts = task.attempts + 1
    try:
        if handler is None:
            raise KeyError(f"No task handler registered as {task.name!r}")
        handler(**task.kwargs)
    except Exception as exc:  # a task's failure must not stop the worker
        logger.warning("Task %s #%s failed (attempt %s): %s", task.name, task.pk, attempts, exc)
        failed = attempts >= task.max_attempts
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.FAILED if failed else TaskStatus.PENDING,
            attempts=attempts,
            last_error="".join(traceback.format_exception(exc))[-4000:],
            run_after=timezone.now()
            + min(MAX_BACKOFF, timedelta(seconds=BACKOFF_BASE_SECONDS * 2**attempts)),
            finished_at=timezone.now() if failed else None,
        )
    else:
        Task.objects.filter(pk=task.pk).update(
            status=TaskStatus.DONE, attempts=attempts, finished_at=timezone.now()
        )


def schedule_periodic(now: datetime | None = None) -> int:
    """Enqueue each periodic task that has no copy waiting or running, due `every`
    after its last run; returns how many were enqueued. Any number of workers may
    call this: the dedupe key keeps one pending copy."""
    now = now or timezone.now()
    enqueued = 0
    for name, every in _periodic.items():
        key = f"periodic:{name}"
        copies = Task.objects.filter(name=name, dedupe_key=key)
        if copies.filter(status__in=[TaskStatus.PENDING, TaskStatus.RUNNING]).exists():
            continue
        last = copies.order_by("-run_after").values_list("run_after", flat=True).first()
        due = max(now, last + every) if last else now
        if enqueue(name, dedupe_key=key, delay=due - now) is not None:
            enqueued += 1
        # Keep a day of history, not one row a minute forever.
        copies.filter(status=TaskStatus.DONE, finished_at__lt=now - timedelta(days=1)).delete()
    return enqueued


def work_forever(*, interval: float = 1.0, stop: threading.Event | None = None) -> None:
    """The worker loop: run due tasks, then sleep a little when there was nothing to do."""
    stop = stop or threading.Event()
    while not stop.is_set():
        close_old_connections()
        try:
            schedule_periodic()
            ran = run_due()
        except Exception:  # the database may be briefly unavailable
            logger.exception("Task worker loop failed; retrying")
            ran = 0
        if not ran:
            stop.wait(interval)


def start_in_process_worker() -> threading.Event:
    """For the embedded default: a worker thread inside the web process."""
    stop = threading.Event()
    threading.Thread(
        target=work_forever, kwargs={"stop": stop}, name="ponton-tasks", daemon=True
    ).start()
    return stop
