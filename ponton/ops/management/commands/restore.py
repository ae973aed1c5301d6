from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.ops.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore the database and the attached files from a backup folder made by "
        "`ponton backup`. Stop the app processes and workers first. Refuses a damaged or "
        "unfinished backup, and a non-empty installation unless --force; the last line is a "
        "JSON summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", type=Path)
        parser.add_argument(
            "--force", action="store_true", help="Replace an installation that has data."
        )

    def handle(self, *args: Any, dir: Path, force: bool, **options: Any) -> None:
        try:
            summary = restore(
                dir.resolve(), force=force, progress=lambda line: self.stderr.write(line)
            )
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"status": "ok", **summary.as_dict()}, sort_keys=True))
