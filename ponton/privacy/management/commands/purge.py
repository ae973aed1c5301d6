from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.privacy.retention import purge


class Command(BaseCommand):
    help = (
        "Purge what is past its retention period (the workers do it every 6 hours); prints a "
        "JSON object of counts. --dry-run counts without changing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, dry_run: bool, **options: Any) -> None:
        counts = purge(dry_run=dry_run)
        self.stdout.write(json.dumps({"dry_run": dry_run, **counts}, sort_keys=True))
