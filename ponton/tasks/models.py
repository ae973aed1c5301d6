from __future__ import annotations

from django.db import models
from django.db.models import Q


class TaskStatus(models.TextChoices):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


class Task(models.Model):
    """A piece of background work, written in the same transaction as the change
    that needs it, so it is never lost and never runs for a change rolled back."""

    name = models.CharField(max_length=100)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=8, choices=TaskStatus.choices, default=TaskStatus.PENDING)
    dedupe_key = models.CharField(max_length=200, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=5)
    run_after = models.DateTimeField()
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["status", "run_after"], name="task_due")]
        constraints = [
            # One pending copy of a deduplicated task: ten article edits, one retraining.
            models.UniqueConstraint(
                fields=["dedupe_key"],
                condition=Q(status="pending") & ~Q(dedupe_key=""),
                name="one_pending_task_per_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.status})"
