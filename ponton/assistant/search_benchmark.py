"""`ponton bench-search`: the help center's search, its quality and its speed.

Quality: questions in customers' own words and short keyword queries, each with the
articles that answer it (knowledge/data/search-questions.tsv, a `dev` half that the
fusion's weights were chosen on and a `held` half that was never tuned on), asked of
the demo's knowledge base as an anonymous visitor. Top-1 and top-3 are given for the
fused ranking and, beside them in the same run, for the full-text engine alone.

Speed: knowledge bases of growing size generated from the demo's sentences
(`knowledge.benchmark`); the generated articles' passages take the stored
embeddings of the demo's titles and example questions, so the vector index holds one
summary per article and the passages it reranks, as after real edits (what a vector
says does not change how long one product and one rerank take).

Everything happens in transactions that are rolled back.
"""

from __future__ import annotations

import csv
import random
import statistics
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.db import transaction
from django.test import override_settings

from ponton.assistant import embeddings, knowledge_model, passages
from ponton.assistant.encoders import Encoder, configured_encoder
from ponton.assistant.models import Passage, PassageKind
from ponton.knowledge import benchmark, search
from ponton.knowledge.models import Article, ArticleTranslation, Status
from ponton.knowledge.portability import import_folder
from ponton.scratch import own_sqlite_database

QUESTIONS = Path(__file__).resolve().parent.parent / "knowledge" / "data" / "search-questions.tsv"


@dataclass(frozen=True)
class Question:
    split: str  # dev: tuned on; held: never tuned on
    kind: str  # question: in a customer's words; keyword: one or two words
    lang: str
    text: str
    expected: frozenset[str]  # article keys, any of which answers


def read_questions(path: Path = QUESTIONS) -> list[Question]:
    with open(path, encoding="utf-8", newline="") as f:
        return [
            Question(
                r["split"],
                r["kind"],
                r["lang"],
                r["text"],
                frozenset(k.strip() for k in r["expected"].split(",")),
            )
            for r in csv.DictReader(f, delimiter="\t")
        ]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def _ensure_demo_kb() -> None:
    """The demo's knowledge base, imported when the database has none of its articles."""
    if not Article.objects.filter(key="forgotten-password").exists():
        report = import_folder(benchmark.KB_FOLDER)
        if report.errors:
            raise RuntimeError("; ".join(report.errors))


def quality(questions: list[Question]) -> dict[str, object]:
    """Top-1 and top-3 of the fused ranking and of full text alone, per half and kind."""
    viewer = search.Viewer()
    for lang in sorted({q.lang for q in questions}):
        passages.embed_language(lang)
        knowledge_model.current_model(lang)
    keys = dict(Article.objects.values_list("id", "key"))
    tallies: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for q in questions:
        for name, fuse in (("fused", True), ("full_text", False)):
            started = time.perf_counter()
            hits = search.search(
                q.text, lang=q.lang, viewer=viewer, limit=3, snippets=False, fuse=fuse
            )
            elapsed = (time.perf_counter() - started) * 1000
            found = [keys[h.translation.article_id] for h in hits]
            for group in (f"{q.split}/{q.kind}", f"all/{q.kind}"):
                tally = tallies[f"{group}/{name}"]
                tally["top1"].append(float(bool(found) and found[0] in q.expected))
                tally["top3"].append(float(bool(q.expected.intersection(found))))
                tally["ms"].append(elapsed)
    return {
        group: {
            "n": len(t["top1"]),
            "top1": round(statistics.mean(t["top1"]), 3),
            "top3": round(statistics.mean(t["top3"]), 3),
            "p95_ms": round(_percentile(t["ms"], 0.95), 1),
        }
        for group, t in sorted(tallies.items())
    }


def _give_passages(lang: str, encoder: Encoder, rng: random.Random) -> int:
    """Passages for the generated articles that have none, from the demo's embedded texts."""
    stock = embeddings.unpack(
        Passage.objects.filter(encoder=encoder.name, language=lang)
        .exclude(kind=PassageKind.SUMMARY)
        .values_list("vector", flat=True)
    )
    missing = ArticleTranslation.objects.filter(
        language=lang, status=Status.PUBLISHED, article__key__startswith="bench-"
    ).exclude(pk__in=Passage.objects.filter(encoder=encoder.name).values("translation_id"))
    made = 0
    rows: list[Passage] = []
    for translation_id, article_id in missing.values_list("id", "article_id").iterator(
        chunk_size=5000
    ):
        picked = stock[[rng.randrange(len(stock)) for _ in range(7)]]
        mean = picked.mean(axis=0)
        summary = mean / np.linalg.norm(mean)
        common = {
            "translation_id": translation_id,
            "article_id": article_id,
            "language": lang,
            "encoder": encoder.name,
        }
        rows.append(Passage(kind=PassageKind.SUMMARY, vector=embeddings.pack(summary), **common))
        rows += [
            Passage(kind=PassageKind.QUESTION, position=i + 1, vector=embeddings.pack(v), **common)
            for i, v in enumerate(picked)
        ]
        if len(rows) >= 8000:
            Passage.objects.bulk_create(rows)
            made += len(rows)
            rows = []
    Passage.objects.bulk_create(rows)
    return made + len(rows)


def speed(
    sizes: list[int],
    *,
    lang: str,
    queries: int,
    seed: int,
    progress: Callable[[str], None],
) -> dict[str, object]:
    """p50/p95 of fused searches (full text alone beside) at each generated size, and the
    memory of the in-process vector index."""
    rng = random.Random(seed)
    corpus = benchmark._corpus(lang)
    sample = [rng.choice(corpus.questions + corpus.titles) for _ in range(queries)]
    workload = [benchmark._typo(q, rng) if i % 3 == 0 else q for i, q in enumerate(sample)]
    encoder = configured_encoder()
    passages.embed_language(lang)
    knowledge_model.current_model(lang)
    made = 0
    results: dict[str, object] = {}
    # The assistant's model stays the one of the demo's knowledge base: training it on
    # thousands of generated articles is the assistant's cost (bench-kb), not a search's.
    with override_settings(PONTON_ASSISTANT_MODEL_CHECK_SECONDS=float("inf")):
        for size in sorted(sizes):
            results[str(size)] = _at_size(
                size, made, lang, workload, rng, corpus, encoder, progress
            )
            made = size
    return {"queries": len(workload), "lang": lang, "sizes": results}


def _at_size(
    size: int,
    made: int,
    lang: str,
    workload: list[str],
    rng: random.Random,
    corpus: benchmark.Corpus,
    encoder: Encoder | None,
    progress: Callable[[str], None],
) -> dict[str, object]:
    started = time.perf_counter()
    benchmark.generate(size - made, start=made, rng=rng, corpus=corpus, lang=lang)
    search.rebuild_index()
    if encoder is not None:
        _give_passages(lang, encoder, rng)
        passages.forget()
    progress(f"{size} articles generated in {time.perf_counter() - started:.1f}s")
    figures: dict[str, object] = {
        "full_text": benchmark.measure(workload, lang, fuse=False),
        "fused": benchmark.measure(workload, lang, fuse=True),
    }
    if encoder is not None:
        index = passages.index(lang, encoder)
        figures["vector_index_mb"] = round(
            (index.matrix.nbytes + index.article_ids.nbytes) / 2**20, 1
        )
        loaded = time.perf_counter()
        passages.forget()
        passages.index(lang, encoder)
        figures["vector_index_load_s"] = round(time.perf_counter() - loaded, 2)
    progress(f"  {size}: {figures}")
    return figures


def run(
    *,
    sizes: list[int],
    lang: str,
    queries: int,
    seed: int = 1,
    questions_path: Path = QUESTIONS,
    progress: Callable[[str], None] = print,
) -> dict[str, object]:
    encoder = configured_encoder()
    result: dict[str, object] = {"encoder": encoder.name if encoder is not None else "lexical"}
    with own_sqlite_database() as own, transaction.atomic():
        if own:
            progress("on a SQLite database of its own, so the app's stays free")
        _ensure_demo_kb()
        started = time.perf_counter()
        result["quality"] = quality(read_questions(questions_path))
        progress(f"quality measured in {time.perf_counter() - started:.1f}s")
        if sizes:
            result["speed"] = speed(sizes, lang=lang, queries=queries, seed=seed, progress=progress)
        transaction.set_rollback(True)
    passages.forget()
    knowledge_model.forget()
    return result
