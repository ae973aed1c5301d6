from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.assistant import search_benchmark


class Command(BaseCommand):
    help = (
        "The help center's search: top-1 and top-3 on questions with their expected articles "
        "(fused ranking and full text alone, dev and held-out halves) over the demo's knowledge "
        "base, then latency over generated knowledge bases (default 1k and 10k articles). "
        "Runs in a transaction that is rolled back (on SQLite, in a database of its own, so "
        "the app's stays free); prints one JSON object last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000", help="empty: quality only")
        parser.add_argument("--queries", type=int, default=300)
        parser.add_argument("--lang", choices=["fr", "en"], default="fr")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        result = search_benchmark.run(
            sizes=sizes,
            lang=options["lang"],
            queries=options["queries"],
            progress=self.stdout.write,
        )
        self.stdout.write(json.dumps(result))
