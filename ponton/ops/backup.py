"""Backups: the database and the attached files, taken together and restored together.

A backup is a folder:

    database.sqlite3 or database.pgdump   the database (SQLite's online backup, or
                                          `pg_dump --format=custom`)
    files/...                             every file of the attachments storage
    manifest.json                         written last: sizes and SHA-256 of all of the
                                          above, and the migrations the database had

The database is copied first, the files after: every file a row of the copy names
was already stored when the copy was taken, so the files are never behind the
rows (files added meanwhile are extra, never missing). Both work while the app
serves. A folder without its manifest is an unfinished backup and is refused, as is
one whose sizes or checksums disagree with the manifest.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path, PurePosixPath
from typing import Any

from django.core.files import File
from django.core.files.storage import Storage
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = 1
MANIFEST = "manifest.json"
FILES = "files"
CHUNK = 1024 * 1024
SQLITE_PAGES_PER_STEP = 4096

Progress = Callable[[str], None]


class BackupError(Exception):
    """What stops a backup or a restore, said so that an operator knows what to do."""


@dataclass(frozen=True)
class Summary:
    engine: str
    database_bytes: int
    files: int
    files_bytes: int
    migrations_to_apply: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "engine": self.engine,
            "database_bytes": self.database_bytes,
            "files": self.files,
            "files_bytes": self.files_bytes,
            "migrations_to_apply": self.migrations_to_apply,
        }


def _quiet(line: str) -> None:
    pass


def attachment_storage() -> Storage:
    from ponton.conversations.models import Attachment

    return Attachment._meta.get_field("file").storage


def _engine() -> str:
    if connection.vendor not in {"sqlite", "postgresql"}:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {connection.vendor}.")
    return connection.vendor


def _database_file(engine: str) -> str:
    return "database.sqlite3" if engine == "sqlite" else "database.pgdump"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _safe_name(name: str) -> str:
    """A storage name that stays inside the backup folder, else refused."""
    path = PurePosixPath(name)
    if not name or path.is_absolute() or ".." in path.parts or "\\" in name:
        raise BackupError(f"Refusing the file name {name!r}: it would leave the backup folder.")
    return str(path)


# Database ---------------------------------------------------------------------------------


def _sqlite_copy(source: str, target: str, progress: Progress, label: str) -> None:
    """SQLite's online backup API: a consistent copy even while other processes write."""
    reported = -1

    def step(status: int, remaining: int, total: int) -> None:
        nonlocal reported
        percent = 100 * (total - remaining) // total if total else 100
        if percent // 25 > reported // 25:
            reported = percent
            progress(f"{label}: {percent}%")

    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst, pages=SQLITE_PAGES_PER_STEP, progress=step)
    finally:
        dst.close()
        src.close()


def _pg_environment() -> tuple[dict[str, str], list[str]]:
    """libpq's environment (the password never on the command line) and the target db."""
    config = connection.settings_dict
    env = dict(os.environ)
    for key, variable in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if config.get(key):
            env[variable] = str(config[key])
    options = config.get("OPTIONS", {})
    for key, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(key):
            env[variable] = str(options[key])
    return env, ["--dbname", str(config["NAME"])]


def _pg_tool(name: str) -> str:
    """The client tool, refused when older than the server (its dumps would be wrong)."""
    found = shutil.which(name)
    if not found:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client of the server's version "
            "(Debian: apt-get install postgresql-client)."
        )
    version = subprocess.run([found, "--version"], capture_output=True, text=True, check=True)
    match = re.search(r"(\d+)(?:\.\d+)?", version.stdout)
    client_major = int(match.group(1)) if match else 0
    connection.ensure_connection()
    server_major = int(getattr(connection, "pg_version", 0)) // 10000
    if client_major < server_major:
        raise BackupError(
            f"{name} {client_major} is older than the PostgreSQL server ({server_major}): "
            f"install postgresql-client-{server_major}."
        )
    return found


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _dump_database(engine: str, target: Path, progress: Progress) -> None:
    if engine == "sqlite":
        _sqlite_copy(str(connection.settings_dict["NAME"]), str(target), progress, "Database")
        return
    env, dbname = _pg_environment()
    pg_dump = _pg_tool("pg_dump")
    progress("Database: pg_dump running")
    _run([pg_dump, "--format=custom", "--no-password", f"--file={target}", *dbname], env)
    progress("Database: 100%")


def _load_database(engine: str, source: Path, progress: Progress) -> None:
    if engine == "sqlite":
        name = str(connection.settings_dict["NAME"])
        connections.close_all()
        _sqlite_copy(str(source), name, progress, "Database")
        return
    env, dbname = _pg_environment()
    pg_restore = _pg_tool("pg_restore")
    connections.close_all()
    progress("Database: pg_restore running")
    # One transaction: a restore that fails half-way leaves the database as it was.
    _run(
        [
            pg_restore,
            "--clean",
            "--if-exists",
            "--no-owner",
            "--no-acl",
            "--single-transaction",
            "--exit-on-error",
            "--no-password",
            *dbname,
            str(source),
        ],
        env,
    )
    progress("Database: 100%")


def _applied_migrations() -> list[str]:
    recorder = MigrationRecorder(connection)
    if not recorder.has_table():
        return []
    return sorted(f"{app}.{name}" for app, name in recorder.applied_migrations())


# Files ------------------------------------------------------------------------------------


def stored_names(storage: Storage) -> Iterator[str]:
    """Every file in the storage (none when its folder was never created)."""
    try:
        storage.listdir("")
    except FileNotFoundError:
        return
    yield from _walk(storage)


def _walk(storage: Storage, folder: str = "") -> Iterator[str]:
    folders, files = storage.listdir(folder)
    for name in sorted(files):
        yield f"{folder}/{name}" if folder else name
    for sub in sorted(folders):
        yield from _walk(storage, f"{folder}/{sub}" if folder else sub)


def _copy_out(storage: Storage, name: str, target: Path) -> dict[str, Any]:
    target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    with storage.open(name, "rb") as source, target.open("wb") as out:
        while chunk := source.read(CHUNK):
            digest.update(chunk)
            size += len(chunk)
            out.write(chunk)
    return {"name": name, "size": size, "sha256": digest.hexdigest()}


def _files_progress(progress: Progress, done: int, total: int | None = None) -> None:
    if done % 100 == 0 or done == total:
        progress(f"Files: {done}" + (f"/{total}" if total is not None else ""))


# Backup -----------------------------------------------------------------------------------


def backup(target: Path, *, progress: Progress = _quiet, now: datetime | None = None) -> Summary:
    """Write a backup of this installation into `target` (absent or empty)."""
    engine = _engine()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not an empty folder.")
    target.mkdir(mode=0o700, parents=True, exist_ok=True)
    database = target / _database_file(engine)
    migrations = _applied_migrations()
    _dump_database(engine, database, progress)

    storage = attachment_storage()
    files, total_bytes = [], 0
    for name in stored_names(storage):
        entry = _copy_out(storage, name, target / FILES / _safe_name(name))
        files.append(entry)
        total_bytes += entry["size"]
        _files_progress(progress, len(files))
    progress(f"Files: {len(files)} copied")

    manifest = {
        "format": FORMAT,
        "created_at": (now or timezone.now()).isoformat(),
        "database": {
            "engine": engine,
            "file": database.name,
            "size": database.stat().st_size,
            "sha256": _sha256(database),
        },
        "migrations": migrations,
        "files": files,
    }
    partial = target / f"{MANIFEST}.partial"
    partial.write_text(json.dumps(manifest, indent=1, sort_keys=True))
    os.replace(partial, target / MANIFEST)
    progress(f"Backup complete: {len(files)} files, manifest written to {target / MANIFEST}")
    return Summary(engine, database.stat().st_size, len(files), total_bytes)


# Restore ----------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    """The manifest, once every file it lists is there with its size and checksum."""
    path = source / MANIFEST
    if not path.is_file():
        raise BackupError(
            f"{source} has no {MANIFEST}: it is not a backup, or one that did not finish."
        )
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
        database, files = manifest["database"], manifest["files"]
        if manifest["format"] != FORMAT:
            raise BackupError(f"This backup's format ({manifest['format']}) is not {FORMAT}.")
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{path} is damaged ({exc}).") from None
    problems = []
    listed = [(source / database["file"], database)] + [
        (source / FILES / _safe_name(entry["name"]), entry) for entry in files
    ]
    for file, entry in listed:
        if not file.is_file():
            problems.append(f"{file.relative_to(source)} is missing")
        elif file.stat().st_size != entry["size"] or _sha256(file) != entry["sha256"]:
            problems.append(f"{file.relative_to(source)} does not match its checksum")
    if problems:
        shown = "; ".join(problems[:10]) + (" …" if len(problems) > 10 else "")
        raise BackupError(f"This backup is incomplete or damaged, nothing was restored: {shown}.")
    return manifest


def installation_contents() -> dict[str, int]:
    """What a restore would replace: people, conversations, articles and stored files."""
    from ponton.accounts.models import User
    from ponton.conversations.models import Conversation
    from ponton.knowledge.models import Article

    tables = set(connection.introspection.table_names())
    counts = {
        label: model.objects.count()
        for label, model in (
            ("users", User),
            ("conversations", Conversation),
            ("articles", Article),
        )
        if model._meta.db_table in tables
    }
    storage = attachment_storage()
    counts["files"] = sum(1 for _ in stored_names(storage))
    return {label: n for label, n in counts.items() if n}


def restore(source: Path, *, force: bool = False, progress: Progress = _quiet) -> Summary:
    """Replace this installation's database and files with the backup in `source`."""
    engine = _engine()
    manifest = read_manifest(source)
    progress(f"Backup checked: database and {len(manifest['files'])} files match the manifest")
    if manifest["database"]["engine"] != engine:
        raise BackupError(
            f"This backup is of a {manifest['database']['engine']} database; this installation "
            f"uses {engine}. Restore it into an installation of the same kind."
        )
    known = {f"{app}.{name}" for app, name in MigrationLoader(None).disk_migrations}
    unknown = sorted(set(manifest["migrations"]) - known)
    if unknown:
        raise BackupError(
            "This backup comes from a newer version of Ponton (unknown migrations: "
            f"{', '.join(unknown[:5])}). Upgrade Ponton, then restore."
        )
    contents = installation_contents()
    if contents and not force:
        found = ", ".join(f"{n} {label}" for label, n in contents.items())
        raise BackupError(
            f"This installation is not empty ({found}). Restoring replaces all of it: "
            "run again with --force if that is what you want."
        )

    _load_database(engine, source / manifest["database"]["file"], progress)

    storage = attachment_storage()
    total_bytes = 0
    for done, entry in enumerate(manifest["files"], start=1):
        name = _safe_name(entry["name"])
        if storage.exists(name):
            storage.delete(name)
        with (source / FILES / name).open("rb") as handle:
            saved = storage.save(name, File(handle, name=PurePosixPath(name).name))
        if saved != name:
            raise BackupError(f"The storage saved {name} as {saved}; restore stopped.")
        total_bytes += entry["size"]
        _files_progress(progress, done, len(manifest["files"]))
    executor = MigrationExecutor(connection)
    to_apply = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    progress(
        "Restore complete."
        + (
            f" {to_apply} migrations of this version to apply: run ponton migrate."
            if to_apply
            else ""
        )
    )
    return Summary(
        engine,
        manifest["database"]["size"],
        len(manifest["files"]),
        total_bytes,
        migrations_to_apply=to_apply,
    )
