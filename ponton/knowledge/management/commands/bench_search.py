from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ponton.knowledge import benchmark


class Command(BaseCommand):
    help = (
        "Time help-center searches over generated knowledge bases (default 1k, 10k, 100k articles). "
        "Runs in a transaction that is rolled back; prints one JSON object last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--sizes", default="1000,10000,100000")
        parser.add_argument("--queries", type=int, default=300)
        parser.add_argument("--lang", choices=["fr", "en"], default="fr")

    def handle(self, *args: Any, **options: Any) -> None:
        sizes = [int(s) for s in options["sizes"].split(",") if s.strip()]
        result = benchmark.run(
            sizes, lang=options["lang"], queries=options["queries"], progress=self.stdout.write
        )
        self.stdout.write(json.dumps(result))
