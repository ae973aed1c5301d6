"""Text normalisation shared by search and the assistant.

Customers write without accents, with typos and SMS spelling; articles are
written properly. Both sides go through the same pipeline (fold accents,
expand abbreviations, drop stop words, stem) so that "mot de pase oublie"
and "Mot de passe oublié" meet on the same terms.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

_STEMMER_NAMES = {"fr": "french", "en": "english"}
_WORD = re.compile(r"[a-z0-9]+")
# "E-403", "B 101": an error code is one word.
_CODE = re.compile(r"\b([a-z])[- ]?(\d{2,4})\b")

# SMS and support shorthand, expanded before stemming.
ABBREVIATIONS: dict[str, str] = {
    "mdp": "mot de passe",
    "pwd": "password",
    "passwd": "password",
    "svp": "s il vous plait",
    "stp": "s il te plait",
    "pls": "please",
    "plz": "please",
    "jarrive": "j arrive",
    "jai": "j ai",
    "cb": "carte bancaire",
    "tel": "telephone",
    "rdv": "rendez vous",
    "pb": "probleme",
    "pbm": "probleme",
    "qd": "quand",
    "pk": "pourquoi",
    "pq": "pourquoi",
    "bcp": "beaucoup",
    "dsl": "desole",
    "2fa": "double authentification two factor",
    "acct": "account",
    "msg": "message",
    "u": "you",
    "ur": "your",
}

STOP_WORDS: dict[str, frozenset[str]] = {
    "fr": frozenset(
        [
            "a",
            "ai",
            "au",
            "aux",
            "avec",
            "c",
            "ca",
            "ce",
            "ces",
            "cet",
            "cette",
            "d",
            "dans",
            "de",
            "des",
            "du",
            "elle",
            "en",
            "est",
            "et",
            "etre",
            "il",
            "ils",
            "j",
            "je",
            "l",
            "la",
            "le",
            "les",
            "leur",
            "leurs",
            "lui",
            "m",
            "ma",
            "mais",
            "me",
            "mes",
            "moi",
            "mon",
            "n",
            "ne",
            "nos",
            "notre",
            "nous",
            "on",
            "ou",
            "par",
            "pas",
            "pour",
            "qu",
            "que",
            "qui",
            "s",
            "sa",
            "se",
            "ses",
            "si",
            "son",
            "sur",
            "t",
            "ta",
            "te",
            "tes",
            "toi",
            "ton",
            "tu",
            "un",
            "une",
            "vos",
            "votre",
            "vous",
            "y",
            "est",
            "sont",
            "suis",
            "ete",
            "bonjour",
            "merci",
            "svp",
            "plait",
            "il",
            "vous",
            "comment",
            "quoi",
            "quel",
            "quelle",
            "quels",
            "quelles",
            "faire",
            "fait",
            "peux",
            "peut",
            "veux",
            "voudrais",
            "souhaite",
            "puis",
        ]
    ),
    "en": frozenset(
        [
            "a",
            "an",
            "and",
            "are",
            "as",
            "at",
            "be",
            "been",
            "but",
            "by",
            "can",
            "could",
            "do",
            "does",
            "for",
            "from",
            "had",
            "has",
            "have",
            "how",
            "i",
            "if",
            "in",
            "into",
            "is",
            "it",
            "its",
            "me",
            "my",
            "of",
            "on",
            "or",
            "our",
            "please",
            "so",
            "than",
            "that",
            "the",
            "their",
            "them",
            "then",
            "there",
            "these",
            "they",
            "this",
            "to",
            "was",
            "we",
            "were",
            "what",
            "when",
            "where",
            "which",
            "who",
            "why",
            "will",
            "with",
            "would",
            "you",
            "your",
            "hello",
            "hi",
            "thanks",
            "thank",
        ]
    ),
}


def fold(text: str) -> str:
    """Lower-case and strip accents: "Réinitialiser" -> "reinitialiser"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@lru_cache(maxsize=200_000)
def fold_word(word: str) -> str:
    """`fold` for one word, cached: snippets fold the same words again and again."""
    return fold(word)


def words(text: str) -> list[str]:
    """Folded words, with error codes kept whole and abbreviations expanded."""
    folded = _CODE.sub(r"\1\2", fold(text).replace("œ", "oe").replace("æ", "ae"))
    out: list[str] = []
    for word in _WORD.findall(folded):
        expansion = ABBREVIATIONS.get(word)
        out.extend(expansion.split() if expansion else (word,))
    return out


@lru_cache(maxsize=4)
def _stemmer(lang: str) -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer(_STEMMER_NAMES.get(lang, "english"))


@lru_cache(maxsize=200_000)
def stem(word: str, lang: str) -> str:
    """The stem of an already folded word."""
    return str(_stemmer(lang).stemWord(word))


def is_stop_word(word: str, lang: str) -> bool:
    return word in STOP_WORDS.get(lang, frozenset())


def terms(text: str, lang: str) -> list[str]:
    """Stemmed content terms of a text, in order, stop words removed."""
    return [stem(w, lang) for w in words(text) if not is_stop_word(w, lang)]
