"""`ponton bench-kb --data FILE.tsv`: the knowledge base in the database, asked.

Each row's `text` is asked as a customer's first message; `expected` is an article's key
or slug (several separated by commas), `human` (a person should take it) or `oos` (not
the knowledge base's business: declined). The figures of the configured encoder come
first (DESIGN.md: `n`, `answered_accuracy`, `oos_decline_rate`, `human_rate`, `p95_ms`);
`baselines` holds the same without the shipped off-topic examples, and with the lexical
model alone. The last line printed is one JSON object.
"""

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
        "Ask the knowledge base the database holds the questions of a TSV file (text, "
        "expected: article keys or slugs, 'human' or 'oos'; lang optional), as first "
        "messages; prints one JSON object last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="TSV file: text, expected[, lang]")
        parser.add_argument(
            "--show-misses", action="store_true", help="list every question got wrong"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = benchmark.read_kb_rows(options["data"])
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        if not rows:
            raise CommandError(f"{options['data']}: no question")
        encoder = configured_encoder()
        name = encoder.name if encoder is not None else "lexical"
        runs: list[tuple[str, str | None, bool]] = [(name, None, True)]
        if encoder is not None:
            runs += [
                (f"{name} without off-topic examples", None, False),
                ("lexical", LEXICAL, True),
            ]
        else:
            runs += [("lexical without off-topic examples", None, False)]
        results: dict[str, dict[str, Any]] = {}
        for label, choice, off_topic in runs:
            with ExitStack() as stack:
                if choice is not None:
                    stack.enter_context(using_encoder(choice))
                if not off_topic:
                    stack.enter_context(knowledge_model.without_off_topic())
                knowledge_model.forget()
                try:
                    result = benchmark.ask_knowledge_base(rows)
                except ValueError as error:
                    raise CommandError(f"{options['data']}: {error}") from error
                finally:
                    knowledge_model.forget()
            misses = result.pop("misses")
            self.stdout.write(
                f"{label}: answered right {result['answered_accuracy']} of "
                f"{result['answerable']} (declined {result['wrongly_declined']}, to a person "
                f"{result['sent_to_a_person']}), off-topic declined {result['oos_decline_rate']} "
                f"of {result['oos']}, a person for {result['human_rate']} of {result['human']}, "
                f"p95 {result['p95_ms']} ms"
            )
            if options["show_misses"]:
                for miss in misses:
                    self.stdout.write(f"  {miss}")
            results[label] = result
        main, *others = results
        figures = {
            "encoder": main,
            **results[main],
            "baselines": {label: results[label] for label in others},
            "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        }
        self.stdout.write(json.dumps(figures))
