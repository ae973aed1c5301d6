"""The zero-downtime rule: the operations that would break the previous release while it
serves are refused, the ones it can ignore are accepted; and this release's migrations keep
it (the check CI runs)."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import migrations, models
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ModelState, ProjectState

from ponton.ops.migrations_rule import check_operations

REPO = Path(settings.BASE_DIR).parent


def shop() -> ProjectState:
    """A release's schema: an order with a required total and an optional note."""
    state = ProjectState()
    state.add_model(
        ModelState(
            "shop",
            "Order",
            [
                ("id", models.BigAutoField(primary_key=True)),
                ("total", models.IntegerField()),
                ("note", models.CharField(max_length=200, null=True)),
            ],
        )
    )
    return state


def refused(operations: list[Operation], **kwargs: frozenset[tuple[str, str]]) -> list[str]:
    return [r.reason for r in check_operations("shop", operations, state=shop(), **kwargs)]


@pytest.mark.parametrize(
    "operation",
    [
        migrations.RemoveField("order", "note"),
        migrations.RenameField("order", "note", "remark"),
        migrations.RenameModel("Order", "Purchase"),
        migrations.DeleteModel("Order"),
        migrations.AlterModelTable("order", "shop_purchase"),
        migrations.AddField("order", "currency", models.CharField(max_length=3)),
        migrations.AddField("order", "currency", models.CharField(max_length=3, default="EUR")),
        migrations.AlterField("order", "note", models.CharField(max_length=200)),
        migrations.AlterField("order", "note", models.CharField(max_length=20, null=True)),
        migrations.AlterField("order", "note", models.TextField(null=True)),
        migrations.AlterField(
            "order", "note", models.CharField(max_length=200, null=True, db_column="remark")
        ),
        migrations.AddConstraint(
            "order", models.CheckConstraint(condition=models.Q(total__gte=0), name="positive")
        ),
        migrations.RunSQL("UPDATE shop_order SET total = 0"),
        migrations.RunPython(migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RemoveField("order", "note")]
        ),
    ],
    ids=lambda operation: type(operation).__name__,
)
def test_an_operation_that_breaks_the_previous_release_is_refused(operation: Operation) -> None:
    assert len(refused([operation])) == 1


def test_what_the_previous_release_can_ignore_is_accepted() -> None:
    assert (
        refused(
            [
                migrations.CreateModel(
                    "Refund",
                    [
                        ("id", models.BigAutoField(primary_key=True)),
                        ("order", models.ForeignKey("shop.Order", models.CASCADE)),
                        ("amount", models.IntegerField()),
                    ],
                ),
                # On the new model, created in the same release, anything goes.
                migrations.AddField("refund", "reason", models.TextField()),
                migrations.RemoveField("refund", "reason"),
                migrations.AddField("order", "coupon", models.CharField(max_length=20, null=True)),
                migrations.AddField(
                    "order", "currency", models.CharField(max_length=3, db_default="EUR")
                ),
                migrations.AddField("order", "tags", models.ManyToManyField("shop.Refund")),
                migrations.AlterField("order", "note", models.CharField(max_length=500, null=True)),
                migrations.AlterField("order", "total", models.IntegerField(db_index=True)),
                migrations.AddIndex("order", models.Index(fields=["total"], name="order_total")),
            ],
            new_models=frozenset({("shop", "refund")}),
        )
        == []
    )


def test_a_column_made_not_null_with_a_database_default_is_accepted() -> None:
    operation = migrations.AlterField(
        "order", "note", models.CharField(max_length=200, db_default="")
    )
    assert refused([operation]) == []


@pytest.mark.skipif(shutil.which("git") is None or not (REPO / ".git").exists(), reason="no git")
def test_this_release_keeps_the_rule() -> None:
    out = io.StringIO()
    call_command("check_migrations", stdout=out)
    assert "zero-downtime rule kept" in out.getvalue()
