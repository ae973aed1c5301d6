"""A database of its own for a benchmark that runs for minutes on SQLite.

Benchmarks build their data in a transaction they roll back, so the database keeps
what it held. On SQLite that transaction holds the file's only write lock for the
whole run, and every app process serving from the same file would answer 503 in the
meantime (a page view writes to the journey log). There the benchmark works on a
fresh, migrated SQLite file in a temporary folder instead. PostgreSQL's readers and
writers are not held up by a rolled-back transaction, so it stays where it is, and so
does a run already inside a transaction (a test's).
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connections


@contextmanager
def own_sqlite_database() -> Iterator[bool]:
    """Inside the block, the default database is a fresh SQLite file when it was a
    SQLite file shared with others; yields whether it was switched."""
    connection = connections[DEFAULT_DB_ALIAS]
    name = str(connection.settings_dict.get("NAME") or "")
    if (
        connection.vendor != "sqlite"
        or connection.in_atomic_block
        or name in ("", ":memory:")
        or "mode=memory" in name
    ):
        yield False
        return
    shared = connection.settings_dict
    connection.close()
    with tempfile.TemporaryDirectory(prefix="ponton-bench-") as folder:
        connection.settings_dict = {**shared, "NAME": str(Path(folder) / "bench.sqlite3")}
        try:
            call_command("migrate", verbosity=0, interactive=False)
            yield True
        finally:
            connection.close()
            connection.settings_dict = shared
