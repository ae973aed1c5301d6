from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.knowledge.portability import FolderImportError, import_folder


class Command(BaseCommand):
    help = "Import a folder of Markdown articles with front matter (all or nothing)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        try:
            report = import_folder(folder)
        except FolderImportError as exc:
            raise CommandError(str(exc)) from exc
        if not report.ok:
            raise CommandError("Nothing imported:\n  " + "\n  ".join(report.errors))
        self.stdout.write(
            f"{report.categories} categories; translations: {report.created} created, "
            f"{report.updated} updated, {report.unchanged} unchanged."
        )
