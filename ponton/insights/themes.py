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
        "trouve trouver reponse suivi article quelqu rappeler parler",
        "en": "hello hi thanks please help need problem question want would like how why "
        "what do does work still person someone could find found answer followed article "
        "call back talk can",
    }.items()
    for w in words.split()
)

Item = TypeVar("Item")


UNSTATED = "unstated"


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


def group(entries: Iterable[tuple[Item, str, str]]) -> list[Theme[Item]]:
    """Themes of (item, text, language) entries, largest first."""
    entries = list(entries)
    terms = [set(content_terms(value, lang)) for _item, value, lang in entries]
    frequency: Counter[str] = Counter(t for item_terms in terms for t in item_terms)
    themes: dict[str, Theme[Item]] = {}
    wordings: dict[str, Counter[str]] = defaultdict(Counter)
    for (item, value, lang), item_terms in zip(entries, terms, strict=True):
        # No word says what the need is ("can you help me?"): one theme for all of them.
        key = max(sorted(item_terms), key=lambda t: frequency[t]) if item_terms else UNSTATED
        key = f"{lang}:{key}"
        theme = themes.setdefault(key, Theme(key=key, label=""))
        theme.items.append(item)
        wordings[key][value.strip().rstrip(" ?!.")] += 1
    for key, theme in themes.items():
        theme.wordings = wordings[key]
        if key.endswith(f":{UNSTATED}"):
            theme.label = _("Need not stated")
            continue
        # The most common wording, the shortest among equals.
        theme.label = min(wordings[key].items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0]
    return sorted(themes.values(), key=lambda t: (-t.size, t.label))
