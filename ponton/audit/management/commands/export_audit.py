from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from ponton.audit.models import Action
from ponton.audit.services import entries, record


def _since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since: {value!r} is not a date (YYYY-MM-DD) or a date-time.")
        moment = datetime.combine(day, time.min)
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


class Command(BaseCommand):
    help = (
        "Write the audit log as JSON lines (one entry a line, oldest first) to standard "
        "output or --output FILE; --since DATE keeps entries from that date on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", default="", help="YYYY-MM-DD or an ISO date-time.")
        parser.add_argument("--output", default="", help="A file to write (created 0600).")

    def handle(self, *args: Any, since: str, output: str, **options: Any) -> None:
        start = _since(since) if since else None
        if output:
            path = Path(output)
            if not path.parent.is_dir():
                raise CommandError(f"--output: no folder {str(path.parent)!r}.")
            with path.open("w", encoding="utf-8") as stream:
                path.chmod(0o600)
                count = self._write(stream.write, start)
        else:
            count = self._write(lambda line: self.stdout.write(line, ending=""), start)
        record(
            Action.EXPORT_AUDIT,
            since=start.isoformat() if start else None,
            entries=count,
            to_file=bool(output),
        )
        if output:
            self.stderr.write(f"{count} entries written to {output}.")

    def _write(self, write: Callable[[str], Any], start: datetime | None) -> int:
        count = 0
        for entry in entries(since=start):
            write(json.dumps(entry.as_json(), ensure_ascii=False) + "\n")
            count += 1
        return count
