"""The zero-downtime rule for migrations: expand now, contract one release later.

While an upgrade runs, the previous release keeps serving against the migrated schema. So a
release's migrations may only add what the previous release can ignore: new tables, nullable
columns or columns with a database default (``db_default``), indexes. They never drop,
rename or retype a column or a table in the same release that stops using it; that waits for
the next release, once no running code reads it.

``check_release`` reads the migrations added since the previous release (its commit is in
``.ci/previous-release``) through Django's migration loader and refuses each operation that
would break the previous release. A migration that knows better (the removal of a column the
previous release no longer reads, a batched data migration, reviewed SQL) says why in a
class attribute, and is then accepted::

    class Migration(migrations.Migration):
        zero_downtime_reviewed = "0.2.0 stopped reading Conversation.legacy_flag"
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from django.db import models
from django.db.migrations import operations as ops
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.migration import Migration
from django.db.migrations.operations.base import Operation
from django.db.migrations.state import ProjectState

REVIEWED_ATTRIBUTE = "zero_downtime_reviewed"


@dataclass(frozen=True)
class Refusal:
    migration: str  # "app_label.0004_name"
    operation: str  # the operation's description
    reason: str

    def __str__(self) -> str:
        return f"{self.migration}: {self.operation}: {self.reason}"


def _has_db_default(field: models.Field[object, object]) -> bool:
    return field.db_default is not models.NOT_PROVIDED


def _refuses_writes_of_old_code(field: models.Field[object, object]) -> bool:
    """A new NOT NULL column the previous release's INSERTs would leave empty."""
    if field.many_to_many:  # its own table
        return False
    return not field.null and not _has_db_default(field)


def check_operations(
    app_label: str,
    operations: Iterable[Operation],
    *,
    state: ProjectState,
    new_models: frozenset[tuple[str, str]] = frozenset(),
    migration: str = "",
) -> list[Refusal]:
    """The refusals for ``operations`` run on ``state`` (the project state before them).

    ``new_models`` holds the (app_label, lowercase model name) pairs created in this release:
    the previous release never reads them, so anything goes for them.
    """
    refusals: list[Refusal] = []
    state = state.clone()
    label = migration or app_label

    def refuse(operation: Operation, reason: str) -> None:
        refusals.append(Refusal(label, operation.describe(), reason))

    for operation in operations:
        if isinstance(operation, ops.SeparateDatabaseAndState):
            refusals += check_operations(
                app_label,
                operation.database_operations,
                state=state,
                new_models=new_models,
                migration=label,
            )
            operation.state_forwards(app_label, state)
            continue
        model_name = getattr(operation, "model_name", None) or getattr(operation, "name", "")
        is_new = (app_label, str(model_name).lower()) in new_models
        if isinstance(operation, ops.RemoveField | ops.DeleteModel) and not is_new:
            refuse(operation, "drops what the previous release reads; drop it one release later")
        elif isinstance(operation, ops.RenameField | ops.RenameModel | ops.AlterModelTable):
            if not is_new:
                refuse(operation, "renames what the previous release reads; add, copy, then drop")
        elif isinstance(operation, ops.AddField) and not is_new:
            if _refuses_writes_of_old_code(operation.field):
                refuse(
                    operation,
                    "a NOT NULL column without db_default: the previous release's inserts fail; "
                    "make it nullable or give it a db_default",
                )
        elif isinstance(operation, ops.AlterField) and not is_new:
            old = state.models[app_label, operation.model_name_lower].fields[operation.name_lower]
            new = operation.field
            if old.deconstruct()[1] != new.deconstruct()[1]:
                refuse(operation, "changes the column's type; add a new column instead")
            elif new.db_column != old.db_column:
                refuse(operation, "renames the column; add, copy, then drop")
            elif old.null and _refuses_writes_of_old_code(new):
                refuse(operation, "makes the column NOT NULL without db_default")
            elif (new.max_length or 0) < (old.max_length or 0):
                refuse(operation, "shortens the column: the previous release may write longer")
        elif isinstance(operation, ops.AddConstraint) and not is_new:
            refuse(operation, "a new constraint on a table the previous release writes")
        elif isinstance(operation, ops.RunSQL | ops.RunPython):
            refuse(operation, "SQL or code the rule cannot read: review it and mark the migration")
        operation.state_forwards(app_label, state)
    return refusals


def previous_release_files(commit: str, repo: Path) -> set[str]:
    """The paths of the files in the previous release's tree (relative to the repository)."""
    listing = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", commit],
        cwd=repo,
        check=True,
        capture_output=True,
        text=True,
    )
    return set(listing.stdout.splitlines())


def new_migrations(loader: MigrationLoader, old_files: set[str], repo: Path) -> list[Migration]:
    """The project's migrations whose files the previous release does not have, in order."""
    found = []
    for key in loader.graph.leaf_nodes():
        for node in loader.graph.forwards_plan(key):
            migration = loader.graph.nodes[node]
            module = type(migration).__module__
            if not module.startswith("ponton."):
                continue  # an installed package's: its authors keep their own rule
            module_file = getattr(sys.modules.get(module), "__file__", None)
            if module_file is None:
                continue
            relative = Path(module_file).resolve().relative_to(repo.resolve()).as_posix()
            if relative not in old_files and migration not in found:
                found.append(migration)
    return found


def check_release(commit: str, repo: Path) -> tuple[list[Migration], list[Refusal]]:
    """The migrations added since ``commit`` and the rule's refusals among them."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    added = new_migrations(loader, previous_release_files(commit, repo), repo)
    new_models: set[tuple[str, str]] = set()
    for migration in added:
        for operation in migration.operations:
            if isinstance(operation, ops.CreateModel):
                new_models.add((migration.app_label, operation.name_lower))
    refusals: list[Refusal] = []
    for migration in added:
        if getattr(migration, REVIEWED_ATTRIBUTE, ""):
            continue
        state = loader.project_state((migration.app_label, migration.name), at_end=False)
        refusals += check_operations(
            migration.app_label,
            migration.operations,
            state=state,
            new_models=frozenset(new_models),
            migration=f"{migration.app_label}.{migration.name}",
        )
    return added, refusals
