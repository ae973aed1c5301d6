from __future__ import annotations

import json
import resource
from contextlib import ExitStack
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.assistant import benchmark, knowledge_model
from ponton.assistant.encoders import LEXICAL, configured_encoder, using_encoder


class Command(BaseCommand):
    help = (
        "Ask the knowledge base the database holds the questions of a TSV file (lang, text, "
        "expected: an article key, or 'oos' for what it should decline). Measures the "
        "configured encoder and the lexical model alone, each with and without the shipped "
        "off-topic examples; prints one JSON object last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="TSV file: lang, text, expected")
        parser.add_argument(
            "--show-misses", action="store_true", help="list every question got wrong"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = benchmark.read_kb_rows(options["data"])
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not rows:
            raise CommandError("The file has no question.")
        encoder = configured_encoder()
        runs: dict[str, Any] = {}
        choices = [("lexical", LEXICAL)]
        if encoder is not None:
            choices.insert(0, (encoder.name, ""))
        for name, choice in choices:
            for off_topic in (True, False):
                label = f"{name}{'' if off_topic else ' without off-topic examples'}"
                with ExitStack() as stack:
                    if choice:
                        stack.enter_context(using_encoder(choice))
                    if not off_topic:
                        stack.enter_context(knowledge_model.without_off_topic())
                    knowledge_model.forget()
                    result = benchmark.ask_knowledge_base(rows)
                    knowledge_model.forget()
                misses = result.pop("misses")
                self.stdout.write(
                    f"{label}: right first {result['routine_right_first']}/{result['routine']}, "
                    f"wrongly declined {result['routine_wrongly_declined']}, off-topic declined "
                    f"{result['off_topic_declined']}/{result['off_topic']}, "
                    f"p95 {result['p95_ms']} ms"
                )
                if options["show_misses"]:
                    for miss in misses:
                        self.stdout.write(f"  {miss}")
                runs[label] = result
        runs_out = {
            "runs": runs,
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        self.stdout.write(json.dumps(runs_out))
