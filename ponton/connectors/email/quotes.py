"""What an agent reads of a mail: the customer's new words, without the history they quoted.

Patterns are handwritten rather than taken from ``mail-parser-reply`` or ``email-reply-parser``:
the first treats "Cordialement" as the start of a signature (cutting the customer's name and
whatever follows), misses "Envoyé de mon iPhone" and the Gmail attribution line that wraps onto
two lines, and neither keeps the content of a forwarded mail, which here is what the customer
wants us to read. Every pattern sits in one of the tables below, each with the client it comes
from, so a new client's wording is one line to add.
"""

from __future__ import annotations

import re

# A line where the quoted history of a reply starts; everything from it on is history.
_HISTORY_SEPARATORS: tuple[re.Pattern[str], ...] = (
    # Outlook desktop (English), many webmails.
    re.compile(r"^-{2,}\s*Original Message\s*-{2,}$", re.IGNORECASE),
    # Outlook desktop (French), Android and Samsung mail apps: "-------- Message d'origine --------".
    re.compile(r"^-{2,}\s*Message d['\u2019]origine\s*-{2,}$", re.IGNORECASE),
    # Outlook and Thunderbird (German).
    re.compile(r"^-{2,}\s*Ursprüngliche Nachricht\s*-{2,}$", re.IGNORECASE),
    # Yahoo Mail and some webmails put this before a header block.
    re.compile(
        r"^-{2,}\s*(?:Message original|Mensaje original|Messaggio originale)\s*-{2,}$", re.I
    ),
)

# A line (possibly wrapped over up to three) that introduces quoted history.
_ATTRIBUTIONS: tuple[re.Pattern[str], ...] = (
    # Gmail, Apple Mail, Thunderbird (English): "On Tue, Dec 3, 2026 at 10:12 AM Support <s@x> wrote:"
    re.compile(r"^On\s.{4,300}?\swrote\s?:$"),
    # Gmail, Apple Mail, Thunderbird, Yahoo (French):
    # "Le mar. 3 déc. 2026 à 10:12, Support Ponton <support@example.com> a écrit :"
    re.compile(r"^Le\s.{4,300}?\sa\s+écrit\s?:$"),
    # Gmail, Thunderbird (German): "Am Di., 3. Dez. 2026 um 10:12 Uhr schrieb Support <s@x>:"
    re.compile(r"^Am\s.{4,300}?\sschrieb\s.{0,200}:$"),
    # Roundcube and older clients: "Support <s@x> a écrit :" / "Support wrote:" (only when
    # quoted lines follow: see _is_bare_attribution).
)
_BARE_ATTRIBUTION = re.compile(r"^\S.{0,200}\s(?:wrote|a\s+écrit)\s?:$")

# First line of a block of header fields that Outlook (and Gmail's forward) writes above the
# history: "De : …", then "Envoyé : …", "À : …", "Objet : …" within the next few lines.
_HEADER_BLOCK_FROM = re.compile(r"^\*?(?:De|From|Von|Da|Van)\s?:\*?\s*\S", re.IGNORECASE)
_HEADER_BLOCK_FIELD = re.compile(
    r"^\*?(?:Envoyé|Sent|Date|Gesendet|Inviato|À|A|To|An|Objet|Subject|Betreff|Oggetto|Cc)\s?:",
    re.IGNORECASE,
)
# Outlook's rule above the header block.
_UNDERSCORE_RULE = re.compile(r"^_{10,}$")

# Where a forwarded mail starts; from here on it is content the customer shares with us.
_FORWARD_MARKERS: tuple[re.Pattern[str], ...] = (
    # Gmail (every language in plain text) and Thunderbird (English).
    re.compile(r"^-{2,}\s*Forwarded message\s*-{2,}$", re.IGNORECASE),
    # Thunderbird and Gmail (French): "-------- Message transféré --------".
    re.compile(r"^-{2,}\s*Message transf[ée]r[ée]\s*-{2,}$", re.IGNORECASE),
    # Apple Mail (French, English).
    re.compile(r"^Début du message réexpédié\s?:$", re.IGNORECASE),
    re.compile(r"^Begin forwarded message\s?:$", re.IGNORECASE),
    # Thunderbird and Outlook (German).
    re.compile(r"^-{2,}\s*Weitergeleitete Nachricht\s*-{2,}$", re.IGNORECASE),
)

# Where the customer's own words end: signatures and the footers mobile apps add.
_SIGNATURE_STARTS: tuple[re.Pattern[str], ...] = (
    # RFC 3676 delimiter "-- " (clients often drop the trailing space).
    re.compile(r"^--\s?$"),
    # iOS and Android mail apps (French): "Envoyé de mon iPhone", "Envoyé depuis mon mobile".
    re.compile(
        r"^Envoy[ée] (?:de|depuis) (?:mon|ma) (?:iPhone|iPad|mobile|smartphone|téléphone"
        r"|appareil|tablette|Samsung|Android|Galaxy)\b",
        re.IGNORECASE,
    ),
    # iOS and Android mail apps (English).
    re.compile(
        r"^Sent from my (?:iPhone|iPad|mobile|smartphone|phone|Android|Samsung|Galaxy|BlackBerry)\b",
        re.IGNORECASE,
    ),
    # Outlook mobile: "Obtenir Outlook pour iOS", "Get Outlook for Android".
    re.compile(r"^(?:Obtenir|Get|Téléchargez) Outlook (?:pour|for) (?:iOS|Android)\b", re.I),
    re.compile(r"^(?:Sent from|Envoyé à partir de|Envoyé depuis) Outlook\b", re.IGNORECASE),
    # Windows Mail: "Envoyé à partir de Courrier pour Windows", "Sent from Mail for Windows".
    re.compile(r"^(?:Envoyé à partir de Courrier|Sent from Mail) (?:pour|for) Windows\b", re.I),
    # Yahoo and Proton apps.
    re.compile(r"^(?:Envoyé depuis|Sent from) Yahoo Mail\b", re.IGNORECASE),
    re.compile(r"^(?:Envoyé avec|Sent with) Proton Mail\b", re.IGNORECASE),
)


def _normalise(line: str) -> str:
    return line.replace("\u00a0", " ").replace("\u200b", "").strip()


def _attribution_at(lines: list[str], index: int) -> bool:
    """True when an "On … wrote:" line, possibly wrapped onto up to three lines, starts here."""
    first = _normalise(lines[index])
    if not first or first.startswith(">"):
        return False
    window: list[str] = []
    for line in lines[index : index + 3]:
        normalised = _normalise(line)
        if not normalised or normalised.startswith(">"):
            break
        if window and _ends_sentence(window[-1]):
            break  # "Le colis est arrivé." then "Support a écrit :" are two things
        window.append(normalised)
        joined = " ".join(window)
        if any(pattern.match(joined) for pattern in _ATTRIBUTIONS):
            return True
    # Without a leading "On"/"Le", only a whole line followed by quoted lines is trusted.
    return bool(_BARE_ATTRIBUTION.match(first)) and _quote_follows(lines, index + 1)


def _ends_sentence(line: str) -> bool:
    """True for a line ending a sentence, not an abbreviation ("déc.", "mar.") of a date."""
    if line.endswith(("!", "?")):
        return True
    last_word = line.rsplit(" ", 1)[-1]
    return last_word.endswith(".") and len(last_word.rstrip(".")) > 4


def _quote_follows(lines: list[str], index: int) -> bool:
    for line in lines[index:]:
        normalised = _normalise(line)
        if normalised:
            return normalised.startswith(">")
    return False


def _header_block_at(lines: list[str], index: int) -> bool:
    """True when an Outlook-style "De : … Envoyé : … À : … Objet :" block starts here."""
    if not _HEADER_BLOCK_FROM.match(_normalise(lines[index])):
        return False
    fields = 0
    for line in lines[index + 1 : index + 7]:
        if _HEADER_BLOCK_FIELD.match(_normalise(line)):
            fields += 1
    return fields >= 2


def _history_start(lines: list[str], *, include_header_block: bool = True) -> int | None:
    """The index of the first line of quoted history, or None."""
    for index, line in enumerate(lines):
        normalised = _normalise(line)
        if any(pattern.match(normalised) for pattern in _HISTORY_SEPARATORS):
            return index
        if _attribution_at(lines, index):
            return index
        if include_header_block and _header_block_at(lines, index):
            # Outlook draws a rule of underscores (and a blank line) above the block.
            start = index
            while start > 0 and (
                not _normalise(lines[start - 1])
                or _UNDERSCORE_RULE.match(_normalise(lines[start - 1]))
            ):
                start -= 1
            return start
    return None


def _forward_start(lines: list[str], *, forwarded_subject: bool) -> int | None:
    """Where the forwarded content starts, or None when this is not a forward."""
    history = _history_start(lines)
    for index, line in enumerate(lines):
        if history is not None and index >= history:
            break  # a forward inside the history of a reply is old news
        if any(pattern.match(_normalise(line)) for pattern in _FORWARD_MARKERS):
            return index
    if forwarded_subject:
        # Outlook forwards with the same separator or header block it uses for replies.
        return history
    return None


def _own_words(lines: list[str]) -> list[str]:
    """The lines the customer wrote: before the history and signature, without "> " quotes."""
    end = len(lines)
    history = _history_start(lines)
    if history is not None:
        end = history
    for index, line in enumerate(lines[:end]):
        if any(pattern.match(_normalise(line)) for pattern in _SIGNATURE_STARTS):
            end = index
            break
    return [line for line in lines[:end] if not _normalise(line).startswith(">")]


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def clean_text(text: str, *, forwarded_subject: bool = False) -> str:
    """``text`` without quoted history and signature; a forward keeps what it forwards.

    Never empty when ``text`` is not: a mail that is all quote (or whose first line looks like
    a signature) is better read whole than not at all.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward = _forward_start(lines, forwarded_subject=forwarded_subject)
    if forward is not None:
        kept = [*_own_words(lines[:forward]), "", *lines[forward:]]
    else:
        kept = _own_words(lines)
    return _tidy(kept) or text.strip()
