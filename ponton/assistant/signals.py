"""Signals in a customer message that call for a person, and the first-message triage.

Product laws 3 and 4 (DESIGN.md): explicit requests for a person, anger,
repeated contact, bereavement, vulnerability, legal threats, fraud and
business-critical outages go to a person at once, and a request for a person
is honoured in any wording while a negated one is not.

How a message is read, without any model:

1. it is cut into tokens that remember where they stand in the original text
   (so evidence quotes the customer's own words), folded (no accents, lower
   case, `ponton.knowledge.text.fold_word`), with letter runs squeezed
   ("nuuuul"), SMS spelling and contractions expanded ("jveux", "dont",
   `text.ABBREVIATIONS`) and long unknown words corrected towards the
   lexicon's keywords (rapidfuzz, one or two edits);
2. the patterns of `ponton.assistant.lexicon` run on the folded string; each
   hit has a weight, dropped when a negation cue precedes it ("pas besoin
   d'un conseiller") and weakened in an information question ("comment
   reconnaître un mail de phishing ?");
3. features that patterns cannot see are added: shouting in capitals, runs
   of "!!!", angry emoji, sarcasm (praise next to a repeated trouble), and
   the combination that makes an outage business-critical;
4. the weights of one kind combine as a noisy-OR into a score in 0..1; a
   kind above its threshold is a signal.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

from ponton.assistant import lexicon
from ponton.assistant.lexicon.near_words import NEAR_WORDS
from ponton.knowledge.text import ABBREVIATIONS, STOP_WORDS, fold_word, stem

KINDS: tuple[str, ...] = (
    "explicit_request",
    "anger",
    "repeat_contact",
    "bereavement",
    "vulnerability",
    "legal",
    "complaint",
    "fraud_security",
    "critical_outage",
    "negotiation",
    "policy_topic",
)

HANDOFF_REASONS: dict[str, str] = {
    "explicit_request": "customer_request",
    "anger": "emotion",
    "repeat_contact": "repeat_contact",
    "bereavement": "sensitive_situation",
    "vulnerability": "sensitive_situation",
    "legal": "legal",
    "complaint": "legal",
    "fraud_security": "fraud_security",
    "critical_outage": "critical_impact",
    "negotiation": "negotiation",
    "policy_topic": "policy_topic",
}

# A kind is a signal from this score on. One strong cue (weight >= 0.5)
# suffices; weak cues need company.
THRESHOLDS: dict[str, float] = dict.fromkeys(KINDS, 0.5)

# Between signals of equal score, the one that matters most for routing
# comes first (a bereaved or defrauded customer needs the right team more
# than the fact that they also asked for a person).
_PRIORITY: dict[str, int] = {
    kind: rank
    for rank, kind in enumerate(
        (
            "fraud_security",
            "bereavement",
            "vulnerability",
            "legal",
            "critical_outage",
            "policy_topic",
            "explicit_request",
            "complaint",
            "repeat_contact",
            "anger",
            "negotiation",
        )
    )
}


@dataclass(frozen=True)
class Signal:
    kind: str
    score: float
    # The words of the message that triggered it, as the customer wrote them.
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Triage:
    human: bool
    reason: str | None
    signals: tuple[Signal, ...]


# ---------------------------------------------------------------------------
# Normalisation


@dataclass(frozen=True)
class _Token:
    text: str
    start: int  # span in the original message; -1 for sentinels
    end: int

    @property
    def is_word(self) -> bool:
        return self.start >= 0 and self.text not in (".", ",", "?")


_RAW = re.compile(r"[^\W_]+|[.!?\u2026]+|[,;:]+|\n+")
_SQUEEZE = re.compile(r"([a-z])\1{2,}")
_NUMBER_UNIT = re.compile(r"^(\d+)(ans|an|yo|yrs|y|x|h)$")
_UNITS = {"ans": "ans", "an": "ans", "yo": "years old", "yrs": "years", "y": "years", "x": "fois"}
_CLAUSE_BREAKERS = frozenset({"mais", "but", "however", "cependant", "pourtant", "sinon"})


def _expand(word: str) -> list[str]:
    """SMS spelling and abbreviations of one folded word."""
    unit = _NUMBER_UNIT.match(word)
    if unit:
        return [unit[1], *_UNITS.get(unit[2], unit[2]).split()]
    out: list[str] = []
    for piece in lexicon.SMS.get(word, word).split():
        out.extend(ABBREVIATIONS.get(piece, piece).split())
    return out


def _known_words() -> frozenset[str]:
    """Real words, which are never "corrected"."""
    known: set[str] = set(lexicon.PROTECTED) | NEAR_WORDS | lexicon.spelled_words()
    for key, value in lexicon.SMS.items():
        known.add(key)
        known.update(value.split())
    for words in STOP_WORDS.values():
        known.update(words)
    return frozenset(known)


_KNOWN = _known_words()


@lru_cache(maxsize=50_000)
def _correct(word: str) -> str:
    """The keyword an unknown word is a typo of, or the word itself."""
    if len(word) < 5 or word in _KNOWN or not word.isalpha():
        return word
    return lexicon.nearest_target(word) or word


def _tokens(text: str) -> list[_Token]:
    raw: list[_Token] = []
    for match in _RAW.finditer(text):
        chunk = match.group()
        start, end = match.span()
        if chunk[0] in ".!?\u2026\n":
            raw.append(_Token("?" if "?" in chunk else ".", start, end))
        elif chunk[0] in ",;:":
            raw.append(_Token(",", start, end))
        else:
            folded = fold_word(chunk).replace("\u0153", "oe").replace("\u00e6", "ae")
            folded = _SQUEEZE.sub(r"\1", folded)
            raw.extend(_Token(piece, start, end) for piece in _expand(folded))
    out: list[_Token] = [_Token(".", -1, -1)]
    i = 0
    while i < len(raw):
        tok = raw[i]
        nxt = raw[i + 1] if i + 1 < len(raw) else None
        pair = lexicon.CONTRACTIONS.get((tok.text, nxt.text)) if nxt else None
        if pair and nxt:
            out.extend(_Token(piece, tok.start, nxt.end) for piece in pair)
            i += 2
            continue
        if tok.text in _CLAUSE_BREAKERS:
            out.append(_Token(",", -1, -1))
        out.append(_Token(_correct(tok.text), tok.start, tok.end))
        # "c nul", "c la 3e fois": the SMS "c" is "c'est".
        if tok.text == "c" and (nxt is None or nxt.text not in ("est", "etait", "etaient")):
            out.append(_Token("est", tok.start, tok.end))
        i += 1
    out.append(_Token(".", -1, -1))
    return out


@dataclass(frozen=True)
class _Reading:
    """A message as the patterns see it."""

    text: str
    tokens: list[_Token]
    norm: str  # " . tok tok , tok . "
    offsets: list[int]  # where each token starts in `norm`

    def evidence(self, start: int, end: int) -> str:
        """The customer's own words behind norm[start:end]."""
        spans = [
            (tok.start, tok.end)
            for tok, offset in zip(self.tokens, self.offsets, strict=True)
            if tok.start >= 0 and start <= offset < end
        ]
        if not spans:
            return ""
        return self.text[min(s for s, _ in spans) : max(e for _, e in spans)].strip()


def _read(text: str) -> _Reading:
    tokens = _tokens(text)
    offsets: list[int] = []
    position = 1
    for tok in tokens:
        offsets.append(position)
        position += len(tok.text) + 1
    norm = " " + " ".join(tok.text for tok in tokens) + " "
    return _Reading(text, tokens, norm, offsets)


# ---------------------------------------------------------------------------
# Patterns


def _compile(source: str) -> re.Pattern[str]:
    return re.compile(r"(?<= )(?:" + lexicon.expand(source) + r")(?= )")


def _compile_free(source: str) -> re.Pattern[str]:
    """For matching inside a short window whose ends need no spaces."""
    return re.compile(r"(?<![a-z0-9])(?:" + lexicon.expand(source) + r")(?![a-z0-9])")


@dataclass(frozen=True)
class _Compiled:
    index: int
    pattern: lexicon.Pattern
    regex: re.Pattern[str]


_PATTERNS: tuple[_Compiled, ...] = tuple(
    _Compiled(i, p, _compile(p.source)) for i, p in enumerate(lexicon.PATTERNS)
)
_NEGATION = {kind: _compile_free(src) for kind, src in lexicon.NEGATION.items()}
_HOWTO = re.compile(r"^(?:(?:bonjour|salut|hello|hi|hey|ok|alors|so|et|and) )*" + lexicon.HOWTO)
_EVENT = _compile(lexicon.EVENT)
_CLAUSE_END = re.compile(r" [.,?] ")

_OUTAGE = {
    name: _compile(source)
    for name, source in (
        ("business", lexicon.OUTAGE_BUSINESS),
        ("site", lexicon.OUTAGE_SITE),
        ("down", lexicon.OUTAGE_DOWN),
        ("scope", lexicon.OUTAGE_SCOPE),
        ("impact", lexicon.OUTAGE_IMPACT),
    )
}
_PRAISE = _compile("<PRAISE>")
_TROUBLE = _compile(lexicon.SARCASM_TROUBLE)
_REPEAT = _compile(lexicon.SARCASM_REPEAT)
_RESOLVED = _compile(lexicon.RESOLVED)
_PUNCT_RUN = re.compile(r"[!?]{3,}|!{2,}|\?!|!\?")
_CAPS_WORD = re.compile(r"\b[^\W\d_a-z]{3,}\b")
_ANGRY_EMOJI = re.compile("[" + lexicon.ANGRY_EMOJI + "]")


def _clause_prefix(norm: str, start: int) -> str:
    """The words of the clause before position `start`."""
    before = norm[:start]
    cut = max(before.rfind(" . "), before.rfind(" , "), before.rfind(" ? "))
    return before[cut + 3 :] if cut >= 0 else before


def _negated(kind: str, reading: _Reading, match: re.Match[str]) -> bool:
    negation = _NEGATION.get(kind)
    if negation is None:
        return False
    prefix = " ".join(_clause_prefix(reading.norm, match.start()).split()[-5:])
    head = " ".join(match.group().split()[:3])
    window = f"{prefix} {head}" if prefix else head
    # The cue stands before the match or opens it ("veux pas parler à quelqu'un").
    return any(cue.start() <= len(prefix) + 1 for cue in negation.finditer(window))


def _informational(reading: _Reading, match: re.Match[str]) -> bool:
    clause = _clause_prefix(reading.norm, match.start()).strip()
    return bool(_HOWTO.match(clause)) and not _EVENT.search(reading.norm)


@dataclass
class _Evidence:
    weights: dict[str, float]  # cue id -> weight
    quotes: list[tuple[float, str]]

    def add(self, cue: str, weight: float, quote: str) -> None:
        # A cue counts once, at its strongest; a zero weight only adds evidence.
        if weight > self.weights.get(cue, 0.0):
            self.weights[cue] = weight
        if quote and all(quote != q for _, q in self.quotes):
            self.quotes.append((weight, quote))

    def score(self) -> float:
        remaining = 1.0
        for weight in self.weights.values():
            remaining *= 1.0 - weight
        return round(1.0 - remaining, 3)


def _collect(reading: _Reading) -> dict[str, _Evidence]:
    found: dict[str, _Evidence] = {}

    def add(kind: str, cue: str, weight: float, quote: str) -> None:
        found.setdefault(kind, _Evidence({}, [])).add(cue, weight, quote)

    for compiled in _PATTERNS:
        pattern = compiled.pattern
        for match in compiled.regex.finditer(reading.norm):
            if pattern.negatable and _negated(pattern.kind, reading, match):
                continue
            weight, cue = pattern.weight, f"p{compiled.index}"
            if pattern.informational and _informational(reading, match):
                # Talk about fraud in a question counts once, weakly.
                weight, cue = weight * 0.4, "informational"
            quote = reading.evidence(match.start(), match.end())
            add(pattern.kind, cue, weight, quote)

    _shape_of_anger(reading, add)
    _sarcasm(reading, add)
    _critical_outage(reading, add)
    return found


# ---------------------------------------------------------------------------
# Features


_Add = Callable[[str, str, float, str], None]


def _shape_of_anger(reading: _Reading, add: _Add) -> None:
    text = reading.text
    letters = [ch for ch in text if ch.isalpha()]
    caps_words = _CAPS_WORD.findall(text)
    if len(letters) >= 8 and len(caps_words) >= 2:
        ratio = sum(ch.isupper() for ch in letters) / len(letters)
        if ratio >= 0.6:
            add("anger", "caps", 0.4, " ".join(caps_words[:4]))
    run = _PUNCT_RUN.search(text)
    if run:
        add("anger", "punctuation", 0.35, run.group())
    emoji = _ANGRY_EMOJI.findall(text)
    if emoji:
        add("anger", "emoji", 0.6, "".join(emoji[:3]))


def _sarcasm(reading: _Reading, add: _Add) -> None:
    praise = _PRAISE.search(reading.norm)
    if not praise or _RESOLVED.search(reading.norm):
        return
    trouble = _TROUBLE.search(reading.norm)
    if not trouble:
        return
    repeat = _REPEAT.search(reading.norm)
    weight = 0.8 if repeat else 0.45
    for match in (praise, trouble, repeat):
        if match:
            add("anger", "sarcasm", weight, reading.evidence(match.start(), match.end()))


def _critical_outage(reading: _Reading, add: _Add) -> None:
    """Something of a business (or of a clinic) is down, and the scope or the impact is large.

    A down service alone is a routine outage question ("y a-t-il une panne dans le 69 ?").
    """
    hits = {name: regex.search(reading.norm) for name, regex in _OUTAGE.items()}
    place = hits["business"] or hits["site"]
    if not hits["down"] or not place:
        return
    weights = {"down": 0.45, "scope": 0.35, "impact": 0.6, "site": 0.6}
    for name in ("business", "site", "down", "scope", "impact"):
        match = hits[name]
        if match:
            quote = reading.evidence(match.start(), match.end())
            add("critical_outage", f"outage:{name}", weights.get(name, 0.0), quote)


# ---------------------------------------------------------------------------
# Policy topics


def configured_policy_topics() -> list[str]:
    """Topics a deployment sends to a person (setting PONTON_HUMAN_TOPICS)."""
    from django.conf import settings

    value = getattr(settings, "PONTON_HUMAN_TOPICS", [])
    if isinstance(value, str):
        value = value.split(",")
    return [str(topic).strip() for topic in value if str(topic).strip()]


def _same_term(a: str, b: str) -> bool:
    if a == b or stem(a, "fr") == stem(b, "fr") or stem(a, "en") == stem(b, "en"):
        return True
    return len(a) >= 6 and len(b) >= 6 and OSA.distance(a, b) <= 1


def _policy_topics(reading: _Reading, topics: Sequence[str]) -> list[str]:
    words = [(tok.text, i) for i, tok in enumerate(reading.tokens) if tok.is_word]
    found: list[str] = []
    for topic in topics:
        terms = [t.text for t in _tokens(topic) if t.is_word]
        content = [t for t in terms if not any(t in sw for sw in STOP_WORDS.values())] or terms
        if not content:
            continue
        for begin, (word, _) in enumerate(words):
            if not _same_term(word, content[0]):
                continue
            position, matched = begin, [begin]
            for term in content[1:]:
                ahead = [
                    k
                    for k in range(position + 1, min(position + 4, len(words)))
                    if _same_term(words[k][0], term)
                ]
                if not ahead:
                    break
                position = ahead[0]
                matched.append(position)
            else:
                first = reading.tokens[words[matched[0]][1]]
                last = reading.tokens[words[matched[-1]][1]]
                found.append(reading.text[first.start : last.end])
                break
    return found


# ---------------------------------------------------------------------------
# Public interface


def detect(
    text: str, *, lang: str | None = None, policy_topics: Sequence[str] = ()
) -> list[Signal]:
    """Signals present in one customer message, strongest first (only those above their threshold).

    `lang` ("fr", "en") is accepted for callers that know it, but both languages'
    patterns always run: customers mix them ("je veux un agent please").
    """
    reading = _read(text)
    signals: list[Signal] = []
    for kind, evidence in _collect(reading).items():
        score = evidence.score()
        if score >= THRESHOLDS[kind]:
            quotes = tuple(q for _, q in sorted(evidence.quotes, key=lambda wq: -wq[0]))
            signals.append(Signal(kind, min(score, 1.0), quotes[:5]))
    topics = _policy_topics(reading, policy_topics) if policy_topics else []
    if topics:
        signals.append(Signal("policy_topic", 0.9, tuple(topics)))
    signals.sort(key=lambda s: (-s.score, _PRIORITY.get(s.kind, 99)))
    return signals


def triage(text: str, *, lang: str | None = None, policy_topics: Sequence[str] = ()) -> Triage:
    """The first-message decision: a person at once, or selfcare."""
    signals = detect(text, lang=lang, policy_topics=policy_topics)
    if not signals:
        return Triage(human=False, reason=None, signals=())
    return Triage(human=True, reason=HANDOFF_REASONS[signals[0].kind], signals=tuple(signals))
