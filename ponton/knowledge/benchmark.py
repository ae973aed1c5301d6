"""Search latency over generated knowledge bases of growing size.

The articles are made from the demo's own sentences and vocabulary, shuffled,
so term statistics look like a real help center's, only bigger.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import frontmatter
from django.db import transaction
from django.utils import timezone

from ponton.knowledge import search, text
from ponton.knowledge.markdown import excerpt, render
from ponton.knowledge.models import Article, ArticleTranslation, Category, Status

KB_FOLDER = Path(__file__).resolve().parent.parent / "demo" / "kb"


@dataclass
class Corpus:
    sentences: list[str]
    titles: list[str]
    questions: list[str]


def _corpus(lang: str) -> Corpus:
    sentences: list[str] = []
    titles: list[str] = []
    questions: list[str] = []
    for path in sorted(KB_FOLDER.rglob(f"*.{lang}.md")):
        post = frontmatter.load(path)
        titles.append(str(post["title"]))
        questions.extend(str(q) for q in list(post.metadata.get("questions") or []))  # type: ignore[call-overload]
        sentences.extend(
            s.strip() for s in post.content.replace("\n", " ").split(". ") if len(s) > 30
        )
    return Corpus(sentences, titles, questions)


def _typo(query: str, rng: random.Random) -> str:
    words = text.fold(query).split()
    long_words = [i for i, w in enumerate(words) if len(w) > 5]
    if long_words:
        i = rng.choice(long_words)
        w = words[i]
        j = rng.randrange(1, len(w) - 1)
        words[i] = w[:j] + w[j + 1 :]
    return " ".join(words)


def generate(count: int, *, start: int, rng: random.Random, corpus: Corpus, lang: str) -> None:
    """Add `count` published articles in `lang`, numbered from `start`."""
    category = Category.objects.order_by("position").first() or Category.objects.create(
        slug="bench", name_fr="Banc d'essai", name_en="Benchmark"
    )
    now = timezone.now()
    batch = 2000
    for offset in range(0, count, batch):
        size = min(batch, count - offset)
        articles = Article.objects.bulk_create(
            [
                Article(key=f"bench-{lang}-{start + offset + i}", category=category)
                for i in range(size)
            ]
        )
        translations = []
        for n, article in enumerate(articles):
            title = f"{rng.choice(corpus.titles)} ({start + offset + n})"
            body = "\n\n".join(". ".join(rng.sample(corpus.sentences, 4)) + "." for _ in range(3))
            html = render(body)
            translations.append(
                ArticleTranslation(
                    article=article,
                    language=lang,
                    title=title,
                    slug=f"bench-{start + offset + n}",
                    body=body,
                    body_html=html,
                    excerpt=excerpt(html),
                    questions=rng.sample(corpus.questions, 3),
                    status=Status.PUBLISHED,
                    published_at=now,
                )
            )
        ArticleTranslation.objects.bulk_create(translations)


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(queries: list[str], lang: str, *, fuse: bool = True) -> dict[str, float]:
    viewer = search.Viewer()
    for q in queries[:10]:  # warm caches (vocabulary, page cache)
        search.search(q, lang=lang, viewer=viewer, fuse=fuse)
    timings = []
    for q in queries:
        started = time.perf_counter()
        search.search(q, lang=lang, viewer=viewer, fuse=fuse)
        timings.append((time.perf_counter() - started) * 1000)
    return {
        "p50_ms": round(statistics.median(timings), 2),
        "p95_ms": round(_percentile(timings, 0.95), 2),
        "max_ms": round(max(timings), 2),
    }


def run(
    sizes: list[int],
    *,
    lang: str = "fr",
    queries: int = 300,
    seed: int = 1,
    progress: Callable[[str], None] = print,
) -> dict[str, object]:
    """Grow a knowledge base through `sizes` and time searches at each size.

    Everything happens in one transaction that is rolled back, so the database
    is left as it was."""
    rng = random.Random(seed)
    corpus = _corpus(lang)
    sample = [rng.choice(corpus.questions + corpus.titles) for _ in range(queries)]
    workload = [_typo(q, rng) if i % 3 == 0 else q for i, q in enumerate(sample)]
    results: dict[str, object] = {}
    with transaction.atomic():
        existing = ArticleTranslation.objects.filter(language=lang).count()
        made = 0
        for size in sorted(sizes):
            started = time.perf_counter()
            generate(size - made, start=made, rng=rng, corpus=corpus, lang=lang)
            made = size
            indexed = search.rebuild_index()
            progress(
                f"{size} articles generated and indexed ({indexed} translations) in {time.perf_counter() - started:.1f}s"
            )
            figures = measure(workload, lang)
            progress(f"  {size}: p50 {figures['p50_ms']} ms, p95 {figures['p95_ms']} ms")
            results[str(size)] = figures
        transaction.set_rollback(True)
    if existing:
        search.rebuild_index()
    return {"queries": len(workload), "lang": lang, "sizes": results}
