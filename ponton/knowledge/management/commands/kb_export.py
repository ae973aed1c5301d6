from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.knowledge.portability import export_folder


class Command(BaseCommand):
    help = "Write every article as Markdown with front matter under FOLDER (re-importable)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("folder", type=Path)

    def handle(self, *args: Any, folder: Path, **options: Any) -> None:
        written = export_folder(folder)
        self.stdout.write(f"{written} files written to {folder}.")
