from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.privacy import erasure


class Command(BaseCommand):
    help = (
        "Erase a customer (id, username or email) and what identifies them; prints a JSON "
        "object of counts. --dry-run counts without changing anything."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email_or_id")
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args: Any, email_or_id: str, dry_run: bool, **options: Any) -> None:
        # Nothing left to erase (never there, or erased already): not an error, so that
        # running it again is harmless.
        try:
            counts = {"found": 1, **erasure.erase(email_or_id, dry_run=dry_run)}
        except erasure.NothingToErase:
            self.stderr.write(f"No customer or conversation matches {email_or_id!r}.")
            counts = {"found": 0, "customers": 0}
        self.stdout.write(json.dumps({"dry_run": dry_run, **counts}, sort_keys=True))
