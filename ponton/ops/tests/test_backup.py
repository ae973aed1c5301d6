"""`ponton backup` then `ponton restore` into an empty installation (its own database and
attachments folder, another process): the same rows and the same files. On SQLite, and on
PostgreSQL when the suite runs there (pg_dump and pg_restore of the machine)."""

from __future__ import annotations

import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import dj_database_url
import pytest
from django.core.management import call_command
from django.db import connection

from ponton.accounts.models import User
from ponton.ops.backup import MANIFEST, BackupError, backup, restore
from ponton.ops.tests.helpers import PDF, PNG, ponton, request_with_files

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def attachments_dir(settings: Any, tmp_path: Path) -> Path:
    folder = tmp_path / "attachments"
    settings.PONTON_ATTACHMENTS_DIR = folder
    return folder


def _require_pg_tools() -> None:
    if connection.vendor != "postgresql" or shutil.which("pg_dump"):
        return
    reason = "pg_dump is not installed (apt-get install postgresql-client)"
    if os.environ.get("PONTON_REQUIRE_PG_TOOLS") == "1":
        pytest.fail(f"PONTON_REQUIRE_PG_TOOLS=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def empty_installation(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The environment of a new installation: nothing in its database or its folders."""
    env = {
        "PONTON_DATA_DIR": str(tmp_path / "restored-data"),
        "PONTON_ATTACHMENTS_DIR": str(tmp_path / "restored-files"),
        "PONTON_S3_BUCKET": "",
    }
    if connection.vendor == "sqlite":
        yield {**env, "DATABASE_URL": f"sqlite:///{tmp_path / 'restored.sqlite3'}"}
        return
    import psycopg

    configured = dj_database_url.parse(os.environ["DATABASE_URL"])
    name = f"{configured['NAME']}_restore"
    admin = dict(
        host=configured["HOST"] or None,
        port=configured["PORT"] or None,
        user=configured["USER"] or None,
        password=configured["PASSWORD"] or None,
        dbname="postgres",
    )
    with psycopg.connect(**admin, autocommit=True) as pg:
        pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        pg.execute(f'CREATE DATABASE "{name}"')
    url = os.environ["DATABASE_URL"].rsplit("/", 1)[0] + f"/{name}"
    try:
        yield {**env, "DATABASE_URL": url}
    finally:
        with psycopg.connect(**admin, autocommit=True) as pg:
            pg.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _rows(dump: str) -> list[tuple[str, Any, str]]:
    return sorted(
        (row["model"], str(row["pk"]), json.dumps(row["fields"], sort_keys=True))
        for row in json.loads(dump)
    )


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in folder.rglob("*")
        if path.is_file()
    }


def test_a_backup_restored_into_an_empty_installation_has_the_same_rows_and_files(
    customer: User, tmp_path: Path, attachments_dir: Path, empty_installation: dict[str, str]
) -> None:
    _require_pg_tools()
    stored = request_with_files(customer)
    progress = io.StringIO()
    call_command("backup", str(tmp_path / "backup"), stdout=io.StringIO(), stderr=progress)
    source_rows = io.StringIO()
    call_command("dumpdata", "--format=json", stdout=source_rows)

    restored = ponton("restore", str(tmp_path / "backup"), env=empty_installation)

    assert restored.returncode == 0, restored.stderr
    summary = json.loads(restored.stdout.strip().splitlines()[-1])
    assert summary["files"] == 2 and summary["migrations_to_apply"] == 0
    assert "Database: 100%" in progress.getvalue() and "Files: 2 copied" in progress.getvalue()
    dumped = ponton("dumpdata", "--format=json", env=empty_installation)
    assert dumped.returncode == 0, dumped.stderr
    assert _rows(dumped.stdout) == _rows(source_rows.getvalue())
    restored_files = _files(Path(empty_installation["PONTON_ATTACHMENTS_DIR"]))
    assert restored_files == _files(attachments_dir)
    assert {restored_files[a.file.name] for a in stored} == {PNG, PDF}


def test_restore_refuses_a_non_empty_installation_unless_forced(
    customer: User, tmp_path: Path, attachments_dir: Path
) -> None:
    _require_pg_tools()
    [facture, voyant] = request_with_files(customer)
    names = {facture.file.name: PDF, voyant.file.name: PNG}
    backup(tmp_path / "backup")
    customer.first_name = "Changed after the backup"
    customer.save()
    voyant.file.delete(save=False)

    with pytest.raises(BackupError) as refused:
        restore(tmp_path / "backup")
    summary = restore(tmp_path / "backup", force=True)

    assert str(refused.value).startswith("This installation is not empty (")
    assert "--force" in str(refused.value)
    assert summary.files == 2
    assert User.objects.get(pk=customer.pk).first_name == "Claire"
    assert {name: (attachments_dir / name).read_bytes() for name in names} == names


def test_an_unfinished_backup_is_refused(customer: User, tmp_path: Path) -> None:
    request_with_files(customer)
    backup(tmp_path / "backup")
    (tmp_path / "backup" / MANIFEST).unlink()

    with pytest.raises(BackupError, match=r"has no manifest\.json: it is not a backup, or one"):
        restore(tmp_path / "backup", force=True)


def test_a_damaged_backup_is_refused_before_anything_is_replaced(
    customer: User, tmp_path: Path
) -> None:
    [facture, voyant] = request_with_files(customer)
    backup(tmp_path / "backup")
    damaged = tmp_path / "backup" / "files" / voyant.file.name
    damaged.write_bytes(damaged.read_bytes()[:-1] + b"!")
    (tmp_path / "backup" / "files" / facture.file.name).unlink()

    with pytest.raises(BackupError) as refused:
        restore(tmp_path / "backup", force=True)

    message = str(refused.value)
    assert message.startswith("This backup is incomplete or damaged, nothing was restored")
    assert f"files/{voyant.file.name} does not match its checksum" in message
    assert f"files/{facture.file.name} is missing" in message
    assert User.objects.filter(pk=customer.pk).exists()


def test_a_backup_from_a_newer_version_is_refused(customer: User, tmp_path: Path) -> None:
    backup(tmp_path / "backup")
    manifest_path = tmp_path / "backup" / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["migrations"].append("conversations.9999_from_the_future")
    manifest_path.write_text(json.dumps(manifest))

    with pytest.raises(BackupError, match="newer version of Ponton"):
        restore(tmp_path / "backup", force=True)


def test_a_backup_never_writes_over_a_folder_in_use(tmp_path: Path) -> None:
    (tmp_path / "backup").mkdir()
    (tmp_path / "backup" / "notes.txt").write_text("mine")

    with pytest.raises(BackupError, match="already exists and is not an empty folder"):
        backup(tmp_path / "backup")
    assert (tmp_path / "backup" / "notes.txt").read_text() == "mine"
