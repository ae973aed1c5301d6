"""Help-center search: stemmed, accent-insensitive, typo-tolerant, targeted.

Documents and queries go through `text.terms`, so matching happens on folded
stems. The ranking engine is the database's own full-text index (FTS5 with
BM25 on SQLite, a weighted tsvector with GIN on PostgreSQL); titles weigh
most, then example questions, then the body. Query words that no article
contains are corrected against the vocabulary of published articles, so a
typo still finds its article.
"""

from __future__ import annotations

import html
import re
import time
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from rapidfuzz.distance import Levenshtein

from ponton.batches import MAX_PARAMS, batches
from ponton.knowledge import ranking, text
from ponton.knowledge.markdown import plain_text
from ponton.knowledge.models import (
    Article,
    ArticleTranslation,
    Audience,
    SearchEntry,
    SearchWord,
    Status,
)

TITLE_WEIGHT, QUESTION_WEIGHT, BODY_WEIGHT = 10.0, 6.0, 1.0
VOCABULARY_TTL_SECONDS = 30.0


# Who is searching ----------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    """What targeting needs to know about the reader.

    Anonymous visitors see every public article (they may be prospects);
    signed-in customers see what matches their plan, modules and segment;
    staff see everything.
    """

    signed_in: bool = False
    staff: bool = False
    plan: str = ""
    modules: frozenset[str] = field(default_factory=frozenset)
    segment: str = ""

    @classmethod
    def for_user(cls, user: Any) -> Viewer:
        if user is None or not user.is_authenticated:
            return cls()
        if user.is_agent:
            return cls(signed_in=True, staff=True)
        profile = getattr(user, "profile", None)
        if profile is None:
            return cls(signed_in=True)
        return cls(
            signed_in=True,
            plan=profile.plan,
            modules=frozenset(profile.modules or ()),
            segment=profile.segment,
        )

    def can_see(self, article: Article) -> bool:
        if self.staff:
            return True
        if article.audience == Audience.SIGNED_IN and not self.signed_in:
            return False
        if not self.signed_in:
            return True
        return (
            (not article.plans or self.plan in article.plans)
            and (not article.segments or self.segment in article.segments)
            and (not article.modules or bool(self.modules.intersection(article.modules)))
        )


@dataclass
class Hit:
    translation: ArticleTranslation
    score: float
    snippet: str = ""  # safe HTML, query words wrapped in <mark>


# Indexing -----------------------------------------------------------------------


def _document_fields(translation: ArticleTranslation) -> tuple[str, str, str, set[str]]:
    lang = translation.language
    questions = "\n".join(translation.questions)
    body = plain_text(translation.body_html)
    vocabulary = {
        w
        for w in text.words(f"{translation.title}\n{questions}\n{body}")
        if len(w) >= 3 and not w.isdigit()
    }
    return (
        " ".join(text.terms(translation.title, lang)),
        " ".join(text.terms(questions, lang)),
        " ".join(text.terms(body, lang)),
        vocabulary,
    )


@transaction.atomic
def index_translation(translation: ArticleTranslation) -> None:
    """Bring the index in line with one translation: indexed if published, absent if not."""
    entry = SearchEntry.objects.filter(translation=translation).first()
    old_words = set(entry.words.split()) if entry else set()
    if translation.status != Status.PUBLISHED:
        if entry:
            entry.delete()
        _count_words(translation.language, added=set(), removed=old_words)
        return
    title_terms, question_terms, body_terms, new_words = _document_fields(translation)
    SearchEntry.objects.update_or_create(
        translation=translation,
        defaults={
            "language": translation.language,
            "title_terms": title_terms,
            "question_terms": question_terms,
            "body_terms": body_terms,
            "words": " ".join(sorted(new_words)),
        },
    )
    _count_words(translation.language, added=new_words - old_words, removed=old_words - new_words)


def _count_words(lang: str, *, added: set[str], removed: set[str]) -> None:
    # A long article has thousands of distinct words: a bounded number of them per query
    # (a new word's row binds three values).
    for chunk in batches(sorted(added), size=MAX_PARAMS // 3):
        SearchWord.objects.filter(language=lang, word__in=chunk).update(
            documents=F("documents") + 1
        )
        known = set(
            SearchWord.objects.filter(language=lang, word__in=chunk).values_list("word", flat=True)
        )
        SearchWord.objects.bulk_create(
            [SearchWord(language=lang, word=w, documents=1) for w in chunk if w not in known],
            ignore_conflicts=True,
        )
    for chunk in batches(sorted(removed), size=MAX_PARAMS // 3):
        SearchWord.objects.filter(language=lang, word__in=chunk).update(
            documents=F("documents") - 1
        )
    if removed:
        SearchWord.objects.filter(language=lang, documents__lte=0).delete()
    _vocabularies.pop(lang, None)


@transaction.atomic
def rebuild_index(batch_size: int = 2000) -> int:
    """Rebuild the whole index from the published translations; returns how many were indexed."""
    SearchEntry.objects.all().delete()
    SearchWord.objects.all().delete()
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    entries: list[SearchEntry] = []
    published = ArticleTranslation.objects.filter(status=Status.PUBLISHED).only(
        "id", "language", "title", "questions", "body_html"
    )
    indexed = 0
    for translation in published.iterator(chunk_size=batch_size):
        title_terms, question_terms, body_terms, words = _document_fields(translation)
        counts[translation.language].update(words)
        entries.append(
            SearchEntry(
                translation_id=translation.pk,
                language=translation.language,
                title_terms=title_terms,
                question_terms=question_terms,
                body_terms=body_terms,
                words=" ".join(sorted(words)),
            )
        )
        if len(entries) >= batch_size:
            indexed += len(SearchEntry.objects.bulk_create(entries))
            entries = []
    indexed += len(SearchEntry.objects.bulk_create(entries))
    for lang, counter in counts.items():
        SearchWord.objects.bulk_create(
            (SearchWord(language=lang, word=w, documents=n) for w, n in counter.items()),
            batch_size=batch_size,
        )
    _vocabularies.clear()
    return indexed


# Typo correction ------------------------------------------------------------------


class _Vocabulary:
    """The folded words of published articles, bucketed by length for quick fuzzy lookup."""

    def __init__(self, rows: Iterable[tuple[str, int]]) -> None:
        self.frequency: dict[str, int] = {}
        self.by_length: dict[int, list[str]] = defaultdict(list)
        for word, documents in rows:
            self.frequency[word] = documents
            self.by_length[len(word)].append(word)
        self.loaded_at = time.monotonic()

    def corrections(self, word: str, limit: int = 3) -> list[str]:
        """Known words within one edit (two for long words), most frequent first."""
        max_distance = 1 if len(word) <= 5 else 2
        found: list[tuple[int, int, str]] = []
        for length in range(len(word) - max_distance, len(word) + max_distance + 1):
            for candidate in self.by_length.get(length, ()):
                distance = Levenshtein.distance(word, candidate, score_cutoff=max_distance)
                if distance <= max_distance:
                    found.append((distance, -self.frequency[candidate], candidate))
        found.sort()
        return [candidate for _, _, candidate in found[:limit]]


_vocabularies: dict[str, _Vocabulary] = {}


def _vocabulary(lang: str) -> _Vocabulary:
    vocabulary = _vocabularies.get(lang)
    if vocabulary is None or time.monotonic() - vocabulary.loaded_at > VOCABULARY_TTL_SECONDS:
        rows = SearchWord.objects.filter(language=lang).values_list("word", "documents")
        vocabulary = _vocabularies[lang] = _Vocabulary(rows.iterator(chunk_size=5000))
    return vocabulary


# Querying -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParsedQuery:
    """What to look for: one group of alternative stems per query word (the word
    and its typo corrections), and the unfinished last word while typing."""

    groups: tuple[tuple[str, ...], ...]
    prefix: str = ""
    all_words: bool = False  # suggestions narrow as the customer types; search stays lenient
    known: bool = False  # some word is one the articles use (or a typo of one)
    typed: bool = False  # some word is one the articles use as typed, not only once corrected

    @property
    def empty(self) -> bool:
        return not self.groups and not self.prefix

    @property
    def stems(self) -> set[str]:
        return {stem for group in self.groups for stem in group}


MIN_PREFIX = 2


def parse_query(query: str, lang: str, *, as_you_type: bool = False) -> ParsedQuery:
    all_words = text.words(query)
    content = [w for w in all_words if not text.is_stop_word(w, lang)] or all_words
    prefix = ""
    if as_you_type and content and query[-1:].isalnum():
        typed = content.pop()
        # Indexed terms are stems: "passe" must match "pass", "factures" "factur".
        stemmed = text.stem(typed, lang)
        shared = next(
            (i for i, (a, b) in enumerate(zip(typed, stemmed, strict=False)) if a != b), None
        )
        prefix = typed[:shared] if shared is not None else typed[: len(stemmed)]
        if len(prefix) < MIN_PREFIX:
            prefix = ""
    vocabulary = _vocabulary(lang)
    groups: list[tuple[str, ...]] = []
    known = as_typed = bool(prefix)
    for word in content:
        alternatives = [word]
        if word not in vocabulary.frequency and len(word) >= 4 and not word.isdigit():
            alternatives += [
                c for c in vocabulary.corrections(word) if not text.is_stop_word(c, lang)
            ][:2]
        as_typed = as_typed or word in vocabulary.frequency
        known = known or as_typed or len(alternatives) > 1
        groups.append(tuple(dict.fromkeys(text.stem(a, lang) for a in alternatives)))
    return ParsedQuery(tuple(groups), prefix, all_words=as_you_type, known=known, typed=as_typed)


def _fts5_query(parsed: ParsedQuery) -> str:
    parts = ["(" + " OR ".join(f'"{s}"' for s in group) + ")" for group in parsed.groups]
    if parsed.prefix:
        parts.append(f'"{parsed.prefix}"*')
    return (" AND " if parsed.all_words else " OR ").join(parts)


def _tsquery(parsed: ParsedQuery) -> str:
    parts = ["(" + " | ".join(f"'{s}'" for s in group) + ")" for group in parsed.groups]
    if parsed.prefix:
        parts.append(f"'{parsed.prefix}':*")
    return (" & " if parsed.all_words else " | ").join(parts)


def _ranked_ids(parsed: ParsedQuery, lang: str, limit: int) -> list[tuple[int, float]]:
    """(translation id, score) best first, from the database's full-text engine."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT e.translation_id, ts_rank(e.search_vector, q, 1) AS rank "
                "FROM knowledge_searchentry e, to_tsquery('simple', %s) q "
                "WHERE e.language = %s AND e.search_vector @@ q "
                "ORDER BY rank DESC, e.translation_id LIMIT %s",
                [_tsquery(parsed), lang, limit],
            )
            return [(row[0], float(row[1])) for row in cursor.fetchall()]
        cursor.execute(
            "SELECT e.translation_id, "
            f"-bm25(knowledge_search_fts, {TITLE_WEIGHT}, {QUESTION_WEIGHT}, {BODY_WEIGHT}) AS score "
            "FROM knowledge_search_fts JOIN knowledge_searchentry e "
            "ON e.id = knowledge_search_fts.rowid "
            "WHERE knowledge_search_fts MATCH %s AND e.language = %s "
            "ORDER BY score DESC, e.translation_id LIMIT %s",
            [_fts5_query(parsed), lang, limit],
        )
        return [(row[0], float(row[1])) for row in cursor.fetchall()]


_CANDIDATE_FIELDS = (
    "id",
    "article_id",
    "slug",
    "title",
    "language",
    "excerpt",
    "article__id",
    "article__key",
    "article__audience",
    "article__plans",
    "article__modules",
    "article__segments",
    "article__category__slug",
    "article__category__name_fr",
    "article__category__name_en",
)


@dataclass
class Results:
    """One page of a search, and how many visible articles answer in all."""

    hits: list[Hit]
    total: int
    total_is_partial: bool = False  # more candidates than were counted: "more than total"


# Five pages of ten at most: past that, other words or a person serve better.
MAX_RESULTS = 50
# How many matches a search ranks and counts at least (more when a later page asks): the
# total says "more than" past them, and the first results never depend on the page size.
MIN_POOL = 20
# Reciprocal rank fusion: an article's score is the sum over the readings that rank it of
# weight / (FUSION_K + rank). A small K lets the first places of each reading count most.
FUSION_K = 5
FULL_TEXT_WEIGHT = 1.0
# A query of one or two words is a keyword: the full-text engine reads it best ("facture",
# "mdp", "wifi"), and the other readings only add what it did not find.
KEYWORD_FULL_TEXT_WEIGHT = 4.0
READING_LIMIT = 20


def search(
    query: str,
    *,
    lang: str,
    viewer: Viewer,
    limit: int = 10,
    as_you_type: bool = False,
    snippets: bool = True,
    fuse: bool = True,
) -> list[Hit]:
    """Published translations in `lang` that answer `query` and that `viewer` may read."""
    return find(
        query,
        lang=lang,
        viewer=viewer,
        limit=limit,
        as_you_type=as_you_type,
        snippets=snippets,
        fuse=fuse,
    ).hits


def find(
    query: str,
    *,
    lang: str,
    viewer: Viewer,
    limit: int = 10,
    offset: int = 0,
    as_you_type: bool = False,
    snippets: bool = True,
    fuse: bool = True,
    count_up_to: int = 0,
) -> Results:
    """One page of the published translations in `lang` that answer `query` and that
    `viewer` may read, best first: the full-text engine's ranking fused with the other
    readings registered in `ranking` (unless `fuse` is False), and the total count (exact
    up to `count_up_to`, or to the pool of MIN_POOL matches)."""
    parsed = parse_query(query, lang, as_you_type=as_you_type)
    if parsed.empty:
        return Results([], 0)
    pool = max(offset + limit, MIN_POOL, count_up_to)
    matched, saturated = _full_text(parsed, lang, viewer, pool)
    order = [t.article_id for t, _ in matched]
    by_article = {t.article_id: t for t, _ in matched}
    scores = {t.article_id: score for t, score in matched}
    readings = [(FULL_TEXT_WEIGHT, order)]
    if fuse:
        if len(parsed.groups) + bool(parsed.prefix) <= 2:
            readings = [(KEYWORD_FULL_TEXT_WEIGHT, order)]
        others = [
            (r, r.reading.rank(query, lang=lang, limit=READING_LIMIT)) for r in ranking.registered()
        ]
        judged = [ranked for r, ranked in others if r.reading.judges_scope]
        vouched = any(judged)
        # A question whose every word is a typo of the articles' words is rather one that
        # is not ours ("recette de la tarte tatin" read as "carte", "rejeté"), when a
        # reading that judges what is ours declines it: the no-result page's way to a
        # person serves better than matches the customer never typed.
        if judged and not vouched and not parsed.typed and len(parsed.groups) > 1:
            return Results([], 0)
        # Words no article uses, even once corrected ("zzzqqq"), would get the nearest
        # meaning as a guess; unless a reading that judges what is ours answers ("où en
        # est mon paquet").
        if parsed.known or vouched:
            readings += [(r.weight, ranked) for r, ranked in others if ranked]
            by_article.update(_visible(_others(readings, by_article), lang, viewer))
    fused: dict[int, float] = defaultdict(float)
    for weight, ranked in readings:
        for rank, article_id in enumerate(ranked):
            if article_id in by_article:
                fused[article_id] += weight / (FUSION_K + rank)
    first_seen = {a: i for i, a in enumerate(order)}
    ranked_ids = sorted(fused, key=lambda a: (-fused[a], first_seen.get(a, len(first_seen)), a))
    hits = [
        Hit(by_article[a], round(fused[a] if len(readings) > 1 else scores[a], 4))
        for a in ranked_ids[offset : offset + limit]
    ]
    if snippets:
        _add_snippets(hits, parsed, lang)
    return Results(hits, len(ranked_ids), total_is_partial=saturated)


def _full_text(
    parsed: ParsedQuery, lang: str, viewer: Viewer, pool: int
) -> tuple[list[tuple[ArticleTranslation, float]], bool]:
    """The full-text engine's matches that `viewer` may read, best first, at most `pool`,
    and whether there were more."""
    # Targeting and word coverage are applied after ranking, so ask for more than needed.
    # Articles with every word come first: ask for those alone (a small, fast set on a
    # large knowledge base), and widen to any word only when they are too few to fill the
    # pages; the same pool whatever the page size, so the first results never depend on it.
    wanted = pool * 2 + 20
    ranked = _ranked_ids(replace(parsed, all_words=True), lang, wanted)
    if len(ranked) < pool and not parsed.all_words and len(parsed.groups) + bool(parsed.prefix) > 1:
        seen = {pk for pk, _ in ranked}
        ranked += [r for r in _ranked_ids(parsed, lang, wanted) if r[0] not in seen]
    ids = [pk for pk, _ in ranked]
    translations = (
        ArticleTranslation.objects.select_related("article", "article__category")
        .only(*_CANDIDATE_FIELDS)
        .in_bulk(ids)
    )
    coverage = _coverage(parsed, ids)
    needed = _words_needed(parsed)
    candidates: list[tuple[int, int, float, ArticleTranslation]] = []
    for pk, score in ranked:
        translation = translations.get(pk)
        if translation is None or not viewer.can_see(translation.article):
            continue
        words, in_title = coverage.get(pk, (0, 0))
        if words >= needed:
            candidates.append((words, in_title, score, translation))
    # Articles that contain more of the customer's words come first, then those with
    # more of them in the title, then the engine's relevance score decides.
    candidates.sort(key=lambda c: (-c[0], -c[1], -c[2]))
    return [(t, score) for _, _, score, t in candidates[:pool]], len(candidates) > pool or len(
        ranked
    ) >= wanted


def _others(readings: list[tuple[float, list[int]]], known: dict[int, Any]) -> set[int]:
    return {a for _, ranked in readings for a in ranked if a not in known}


def _visible(article_ids: set[int], lang: str, viewer: Viewer) -> dict[int, ArticleTranslation]:
    """The published translations in `lang` of these articles that `viewer` may read: the
    same rule as the full-text engine's results, whatever ranked them."""
    if not article_ids:
        return {}
    rows = (
        ArticleTranslation.objects.select_related("article", "article__category")
        .only(*_CANDIDATE_FIELDS)
        .filter(article_id__in=article_ids, language=lang, status=Status.PUBLISHED)
    )
    return {t.article_id: t for t in rows if viewer.can_see(t.article)}


def _add_snippets(hits: list[Hit], parsed: ParsedQuery, lang: str) -> None:
    """The passage richest in the query's words, marked where the full-text engine matched."""
    bodies = dict(
        ArticleTranslation.objects.filter(pk__in=[h.translation.pk for h in hits]).values_list(
            "pk", "body_html"
        )
    )
    for hit in hits:
        body = plain_text(bodies[hit.translation.pk])
        hit.snippet = snippet(body, marked_stems(body, parsed.groups, lang), lang, parsed.prefix)


def _words_needed(parsed: ParsedQuery) -> int:
    """How many of the query's words a result must contain: all while typing a
    suggestion, at least half of a longer search (at least one)."""
    total = len(parsed.groups) + (1 if parsed.prefix else 0)
    return total if parsed.all_words else max(1, (total + 1) // 2)


def _coverage(parsed: ParsedQuery, translation_ids: list[int]) -> dict[int, tuple[int, int]]:
    """For each candidate, how many query words (any of their corrections) it contains,
    anywhere and in its title."""

    def matched(terms: set[str]) -> int:
        found = sum(1 for group in parsed.groups if terms.intersection(group))
        if parsed.prefix and any(t.startswith(parsed.prefix) for t in terms):
            found += 1
        return found

    rows = SearchEntry.objects.filter(translation_id__in=translation_ids).values_list(
        "translation_id", "title_terms", "question_terms", "body_terms"
    )
    return {
        pk: (matched(set(f"{title} {questions} {body}".split())), matched(set(title.split())))
        for pk, title, questions, body in rows
    }


# Snippets ---------------------------------------------------------------------------

_TOKEN = re.compile(r"\w+", re.UNICODE)
_SENTENCE = re.compile(r"(?<=[.!?:])\s+")


def marked_stems(body: str, groups: tuple[tuple[str, ...], ...], lang: str) -> set[str]:
    """For each query word, the one form this text answers it with: the word itself when the
    text has it, else its likeliest correction that the text has ("pase" marks "passe" in an
    article about passwords, not also every "pas" and "page")."""
    present = {text.stem(text.fold_word(w), lang) for w in _TOKEN.findall(body)}
    return {next((s for s in group if s in present), group[0]) for group in groups if group}


def snippet(body: str, stems: set[str], lang: str, prefix: str = "", length: int = 220) -> str:
    """The passage of `body` richest in query words, escaped, with those words in <mark>."""

    seen: dict[str, bool] = {}

    def matches(word: str) -> bool:
        if word not in seen:
            folded = text.fold_word(word)
            seen[word] = text.stem(folded, lang) in stems or bool(
                prefix and folded.startswith(prefix)
            )
        return seen[word]

    sentences = [s for s in _SENTENCE.split(body) if s.strip()] or [body]
    scores = [sum(matches(w) for w in _TOKEN.findall(s)) for s in sentences]
    best = max(range(len(sentences)), key=lambda i: (scores[i], -i))
    passage = sentences[best]
    for following in sentences[best + 1 :]:
        if len(passage) + len(following) + 1 > length:
            break
        passage += " " + following
    if len(passage) > length:
        passage = passage[: length - 1].rsplit(" ", 1)[0] + "…"
    return _highlight(passage, matches)


def _highlight(passage: str, matches: Any) -> str:
    out: list[str] = []
    position = 0
    for token in _TOKEN.finditer(passage):
        out.append(html.escape(passage[position : token.start()]))
        word = html.escape(token.group())
        out.append(f"<mark>{word}</mark>" if matches(token.group()) else word)
        position = token.end()
    out.append(html.escape(passage[position:]))
    return "".join(out)
