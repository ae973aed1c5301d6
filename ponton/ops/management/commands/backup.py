from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.ops.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the database and the attached files into DIR (absent or empty), while the "
        "app serves; the last line is a JSON summary."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", type=Path)

    def handle(self, *args: Any, dir: Path, **options: Any) -> None:
        try:
            summary = backup(dir.resolve(), progress=lambda line: self.stderr.write(line))
        except BackupError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(json.dumps({"status": "ok", **summary.as_dict()}, sort_keys=True))
