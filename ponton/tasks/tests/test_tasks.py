from datetime import timedelta

import pytest
from django.utils import timezone

from ponton.tasks.models import Task, TaskStatus
from ponton.tasks.services import enqueue, register, run_due

pytestmark = pytest.mark.django_db

calls: list[dict[str, object]] = []


@register("tests.record")
def record(**kwargs: object) -> None:
    calls.append(kwargs)


@register("tests.fail")
def fail(**kwargs: object) -> None:
    raise RuntimeError("the mail server is down")


@pytest.fixture(autouse=True)
def _reset_calls() -> None:
    calls.clear()


def test_a_task_is_stored_before_it_runs_and_runs_once() -> None:
    task = enqueue("tests.record", article=7)
    assert task is not None and task.status == TaskStatus.PENDING
    assert run_due() == 1
    assert calls == [{"article": 7}]
    assert run_due() == 0
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.attempts == 1


def test_a_deduplicated_task_has_one_pending_copy() -> None:
    assert enqueue("tests.record", dedupe_key="retrain:fr", lang="fr") is not None
    assert enqueue("tests.record", dedupe_key="retrain:fr", lang="fr") is None
    assert Task.objects.filter(status=TaskStatus.PENDING).count() == 1
    run_due()
    # Once it ran, a new change schedules a new run.
    assert enqueue("tests.record", dedupe_key="retrain:fr", lang="fr") is not None


def test_a_failing_task_is_retried_with_backoff_then_marked_failed() -> None:
    task = enqueue("tests.fail")
    assert task is not None
    run_due()
    task.refresh_from_db()
    assert task.status == TaskStatus.PENDING and task.attempts == 1
    assert "the mail server is down" in task.last_error
    assert task.run_after > timezone.now() + timedelta(seconds=5)
    assert run_due() == 0  # not due yet
    for _ in range(task.max_attempts):
        Task.objects.filter(pk=task.pk).update(run_after=timezone.now())
        run_due()
    task.refresh_from_db()
    assert task.status == TaskStatus.FAILED and task.attempts == task.max_attempts


def test_a_task_abandoned_by_a_dead_worker_runs_again() -> None:
    task = enqueue("tests.record", n=1)
    assert task is not None
    Task.objects.filter(pk=task.pk).update(
        status=TaskStatus.RUNNING, started_at=timezone.now() - timedelta(hours=1)
    )
    assert run_due() == 1
    assert calls == [{"n": 1}]


def test_enqueueing_an_unknown_task_fails_loudly() -> None:
    with pytest.raises(KeyError):
        enqueue("tests.nobody")
