"""`ponton bench-triage --data FILE.tsv`: the first-message decision, measured.

The file has the format of `datasets/triage-fr-en/dev.tsv` (tab-separated,
header `id lang expected reason text`, `expected` is `selfcare` or `human`).
The assistant's decision (the lexicon, then the learned model of needs.py with the
configured encoder) and, beside it, the lexicon alone (`baselines`). The last line
printed is one JSON object.
The database is not touched.
"""

from __future__ import annotations

import csv
import json
import statistics
import time
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ponton.assistant import needs
from ponton.assistant.encoders import configured_encoder
from ponton.assistant.signals import triage

COLUMNS = ("id", "lang", "expected", "reason", "text")
LABELS = ("selfcare", "human")


@dataclass(frozen=True)
class Row:
    id: str
    lang: str | None
    expected: str
    reason: str
    text: str


def read_rows(path: Path) -> list[Row]:
    """The rows of a triage file; CommandError naming the line on anything malformed."""
    if not path.is_file():
        raise CommandError(f"{path}: no such file")
    with path.open(encoding="utf-8", newline="") as handle:
        lines = list(csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
    if not lines:
        raise CommandError(f"{path}: empty file, expected a header {' '.join(COLUMNS)}")
    header = [h.strip() for h in lines[0]]
    missing = [c for c in COLUMNS if c not in header]
    if missing:
        raise CommandError(f"{path}:1: header lacks column(s) {', '.join(missing)}")
    where = {c: header.index(c) for c in COLUMNS}
    rows: list[Row] = []
    for number, fields in enumerate(lines[1:], start=2):
        if not any(f.strip() for f in fields):
            continue
        if len(fields) != len(header):
            raise CommandError(
                f"{path}:{number}: {len(fields)} field(s), expected {len(header)} "
                "(tab-separated; no tab inside a text)"
            )
        row = {c: fields[i].strip() for c, i in where.items()}
        if row["expected"] not in LABELS:
            raise CommandError(
                f"{path}:{number}: expected is {row['expected']!r}, not one of {', '.join(LABELS)}"
            )
        if not row["text"]:
            raise CommandError(f"{path}:{number}: empty text")
        rows.append(
            Row(
                id=row["id"] or f"line{number}",
                lang=row["lang"] or None,
                expected=row["expected"],
                reason=row["reason"] or "unknown",
                text=row["text"],
            )
        )
    if not rows:
        raise CommandError(f"{path}: no rows")
    return rows


def _ratio(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(fraction * len(ordered) + 0.5) - 1))
    return round(ordered[index], 3)


class Command(BaseCommand):
    help = (
        "Run the assistant's first-message triage (selfcare or a person) over a labelled TSV "
        "file; prints one JSON object last."
    )
    # A benchmark reads a file and runs a pure function: no checks, no database.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--data", required=True, help="TSV file: id lang expected reason text")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["data"])
        rows = read_rows(path)
        self.stdout.write(f"bench-triage: {len(rows)} messages from {path}")
        triage("warm-up: compile the patterns")
        encoder = configured_encoder()
        learned = f"lexicon and learned model ({encoder.name if encoder else 'lexical features'})"
        for lang in sorted({row.lang or "fr" for row in rows}):
            needs.model(lang)  # trained before the clock starts

        def lexicon(row: Row) -> tuple[bool, bool, str]:
            decision = triage(row.text, lang=row.lang)
            why = ", ".join(f"{s.kind} {s.score:.2f} {list(s.evidence)}" for s in decision.signals)
            return decision.human, decision.human, why

        def with_model(row: Row) -> tuple[bool, bool, str]:
            human, _, why = lexicon(row)
            if human:
                return True, True, why
            need = needs.assess(row.text, lang=row.lang)
            why = f"learned {need.kind} {need.probability:.2f}"
            return need.probability >= needs.HAND_OFF, need.probability >= needs.OFFER, why

        self.stdout.write("lexicon alone:")
        baseline = self._measure(rows, lexicon)
        self.stdout.write(f"the assistant's decision, {learned}:")
        result = self._measure(rows, with_model)
        # The assistant's figures at the top (DESIGN.md), the lexicon's beside them.
        self.stdout.write(
            json.dumps(
                {
                    "n": len(rows),
                    "decision": learned,
                    **result,
                    "baselines": {"lexicon": baseline},
                }
            )
        )

    def _measure(self, rows: list[Row], decide: Any) -> dict[str, Any]:
        timings: list[float] = []
        counts: dict[tuple[str, str], int] = defaultdict(int)
        per_reason: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        offered = 0  # human rows offered a person at once or first
        errors: list[str] = []
        for row in rows:
            started = time.perf_counter()
            human, person_offered, why = decide(row)
            timings.append((time.perf_counter() - started) * 1000)
            got = "human" if human else "selfcare"
            offered += row.expected == "human" and person_offered
            counts[(row.expected, got)] += 1
            per_reason[row.reason][0] += got == row.expected
            per_reason[row.reason][1] += 1
            if got != row.expected:
                errors.append(row.id)
                self.stdout.write(
                    f"  miss {row.id} expected {row.expected} ({row.reason}), got {got}"
                    f"{': ' + why if why else ''} | {row.text}"
                )

        human_true = counts[("human", "human")]
        selfcare_true = counts[("selfcare", "selfcare")]
        expected_human = human_true + counts[("human", "selfcare")]
        expected_selfcare = selfcare_true + counts[("selfcare", "human")]
        predicted_human = human_true + counts[("selfcare", "human")]
        predicted_selfcare = selfcare_true + counts[("human", "selfcare")]
        result = {
            "accuracy": _ratio(human_true + selfcare_true, len(rows)),
            "human_recall": _ratio(human_true, expected_human),
            "human_offered_first": _ratio(offered, expected_human),
            "human_precision": _ratio(human_true, predicted_human),
            "selfcare_recall": _ratio(selfcare_true, expected_selfcare),
            "selfcare_precision": _ratio(selfcare_true, predicted_selfcare),
            "per_reason": {
                reason: _ratio(right, total)
                for reason, (right, total) in sorted(per_reason.items())
            },
            "p50_ms": _percentile(timings, 0.50),
            "p95_ms": _percentile(timings, 0.95),
            "max_ms": round(max(timings), 3),
            "mean_ms": round(statistics.fmean(timings), 3),
            "errors": errors,
        }
        self.stdout.write(
            f"  accuracy {result['accuracy']}, human recall {result['human_recall']} "
            f"(a person offered at once or first: {result['human_offered_first']}), "
            f"selfcare recall {result['selfcare_recall']}, p95 {result['p95_ms']} ms"
        )
        return result
