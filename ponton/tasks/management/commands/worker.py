from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.tasks.services import run_due, schedule_periodic, work_forever


class Command(BaseCommand):
    help = "Run background tasks (emails, retraining, rollups) until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run what is due, then stop.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["once"]:
            schedule_periodic()
            self.stdout.write(f"{run_due(limit=1000)} tasks run.")
            return
        self.stdout.write("Worker started.")
        work_forever()
