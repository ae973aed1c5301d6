"""Group short customer texts (searches, messages) into themes, without a model.

Each text is reduced to its stemmed content words; a theme is the word that
the most texts share (so "carte cadeau" and "offrir une carte cadeau" meet),
labelled by the wording customers used most often.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from django.utils.translation import gettext as _

from ponton.knowledge import text

# Words that say nothing about the need, in either language.
GENERIC = frozenset(
    text.stem(w, lang)
    for lang, words in {
        "fr": "bonjour merci svp aide aider besoin probleme question voudrais veux souhaite "
        "comment pourquoi quoi faire marche fonctionne toujours personne conseiller pouvez "
        "trouve trouver reponse suivi article quelqu rappeler parler plus",
        "en": "hello hi thanks please help need problem question want would like how why "
        "what do does work still person someone could find found answer followed article "
        "call back talk can not",
    }.items()
    for w in words.split()
)

Item = TypeVar("Item")


UNSTATED = "unstated"
SIMILARITY = 0.5


@dataclass
class Theme(Generic[Item]):
    key: str
    label: str
    items: list[Item] = field(default_factory=list)
    wordings: Counter[str] = field(default_factory=Counter)

    @property
    def size(self) -> int:
        return len(self.items)


def content_terms(value: str, lang: str) -> list[str]:
    return [t for t in text.terms(value, lang) if t not in GENERIC and len(t) > 1]


def _similar(a: frozenset[str], b: frozenset[str]) -> bool:
    if not a or not b:
        return a == b
    return len(a & b) / len(a | b) >= SIMILARITY


def group(entries: Iterable[tuple[Item, str, str]]) -> list[Theme[Item]]:
    """Themes of (item, text, language) entries, largest first.

    The most common wordings found themes; a wording joins the first theme
    whose founding words it mostly shares (Jaccard similarity of the content
    words at least one half), so "carte cadeau" and "offrir une carte cadeau"
    meet while "box 4G" and "ligne fixe sans box" do not.
    """
    entries = list(entries)
    by_wording: dict[tuple[str, frozenset[str]], list[tuple[Item, str]]] = defaultdict(list)
    for item, value, lang in entries:
        terms = frozenset(content_terms(value, lang))
        by_wording[(lang, terms)].append((item, value.strip().rstrip(" ?!.")))
    founders: list[tuple[str, frozenset[str], Theme[Item]]] = []
    for (lang, terms), members in sorted(
        by_wording.items(), key=lambda kv: (-len(kv[1]), sorted(kv[0][1]))
    ):
        theme = next(
            (t for language, f, t in founders if language == lang and _similar(f, terms)), None
        )
        if theme is None:
            key = f"{lang}:{'-'.join(sorted(terms)) or UNSTATED}"
            theme = Theme(key=key, label="")
            founders.append((lang, terms, theme))
        for item, wording in members:
            theme.items.append(item)
            theme.wordings[wording] += 1
    themes = [t for _l, _f, t in founders]
    for theme in themes:
        if theme.key.endswith(f":{UNSTATED}"):
            theme.label = _("Need not stated")
        else:
            # The most common wording, the shortest among equals.
            theme.label = min(theme.wordings.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]
    return sorted(themes, key=lambda t: (-t.size, t.label))
