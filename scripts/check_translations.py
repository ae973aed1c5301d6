#!/usr/bin/env python3
"""Fail when the French catalogue has an untranslated or fuzzy message.

Reads every ponton/**/locale/fr/LC_MESSAGES/*.po file (standard library only)
and exits with status 1, listing the offending messages, if any msgid has an
empty msgstr (or an empty msgstr[n] for plurals) or carries a `fuzzy` flag.
Obsolete entries (`#~`) are ignored, as gettext does.

Usage: python scripts/check_translations.py [PO_FILE ...]
"""

from __future__ import annotations

import ast
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_GLOB = "ponton/**/locale/fr/LC_MESSAGES/*.po"  # the project catalogue and any app one


@dataclass
class Entry:
    line: int
    flags: set[str] = field(default_factory=set)
    msgctxt: str | None = None
    msgid: str = ""
    msgid_plural: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)


def _unquote(text: str, path: Path, lineno: int) -> str:
    text = text.strip()
    if len(text) < 2 or not (text.startswith('"') and text.endswith('"')):
        raise SyntaxError(f"{path}:{lineno}: expected a quoted string, got {text!r}")
    # PO escapes (\n, \t, \", \\) are a subset of Python's.
    return ast.literal_eval(text)


def parse(path: Path) -> list[Entry]:
    """Parse a PO file into entries; multi-line strings are joined."""
    entries: list[Entry] = []
    current: Entry | None = None
    flags: set[str] = set()  # flags of the comments above the next entry
    first_line = 0  # where the comments above the next entry begin
    last_keyword = ""
    target: tuple[str, int] | None = None  # the field that "..." lines extend

    for lineno, raw in enumerate(path.read_text(encoding="utf-8-sig").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#~"):  # blank line, obsolete entry
            target = None
            continue
        if line.startswith("#"):
            target = None
            first_line = first_line or lineno
            if line.startswith("#,"):
                flags |= {flag.strip() for flag in line[2:].split(",") if flag.strip()}
            continue
        if line.startswith('"'):
            if current is None or target is None:
                raise SyntaxError(f"{path}:{lineno}: string outside an entry")
        else:
            keyword, _, line = line.partition(" ")
            # An entry begins with msgctxt, or with msgid when no msgctxt precedes it.
            if keyword == "msgctxt" or (keyword == "msgid" and last_keyword != "msgctxt"):
                current = Entry(line=first_line or lineno, flags=flags)
                entries.append(current)
                flags, first_line = set(), 0
            if current is None:
                raise SyntaxError(f"{path}:{lineno}: {keyword} before msgid")
            if keyword in ("msgctxt", "msgid", "msgid_plural"):
                target = (keyword, 0)
                setattr(current, keyword, "")
            elif keyword == "msgstr" or (keyword.startswith("msgstr[") and keyword.endswith("]")):
                index = keyword[7:-1] if keyword != "msgstr" else "0"
                if not index.isdigit():
                    raise SyntaxError(f"{path}:{lineno}: bad plural index in {keyword}")
                target = ("msgstr", int(index))
                current.msgstr[target[1]] = ""
            else:
                raise SyntaxError(f"{path}:{lineno}: unexpected line {raw!r}")
            last_keyword = keyword
        text = _unquote(line, path, lineno)
        name, form = target
        if name == "msgstr":
            current.msgstr[form] += text
        else:
            setattr(current, name, getattr(current, name) + text)
    return entries


def plural_count(entries: list[Entry]) -> int:
    """nplurals from the header, 2 when absent."""
    for entry in entries:
        if entry.msgid == "" and entry.msgctxt is None:
            for header in entry.msgstr.get(0, "").splitlines():
                if header.lower().startswith("plural-forms:") and "nplurals=" in header:
                    value = header.split("nplurals=", 1)[1].split(";", 1)[0].strip()
                    if value.isdigit():
                        return int(value)
    return 2


def problems(path: Path) -> list[str]:
    entries = parse(path)
    nplurals = plural_count(entries)
    found = []
    for entry in entries:
        header = entry.msgid == "" and entry.msgctxt is None
        label = (
            "(header)"
            if header
            else repr(entry.msgid if len(entry.msgid) <= 70 else entry.msgid[:67] + "...")
        )
        if entry.msgctxt:
            label += f" [context {entry.msgctxt!r}]"
        where = f"{path}:{entry.line}"
        if "fuzzy" in entry.flags:
            found.append(f"{where}: fuzzy: {label}")
        if header:
            continue
        if entry.msgid_plural is not None:
            missing = [str(i) for i in range(nplurals) if not entry.msgstr.get(i)]
            if missing:
                found.append(f"{where}: untranslated msgstr[{','.join(missing)}]: {label}")
        elif not entry.msgstr.get(0):
            found.append(f"{where}: untranslated: {label}")
    return found


def main(argv: list[str]) -> int:
    paths = [Path(a) for a in argv] or sorted(ROOT.glob(DEFAULT_GLOB))
    if not paths:
        print(f"check_translations: no catalogue matches {DEFAULT_GLOB}", file=sys.stderr)
        return 1
    failures: list[str] = []
    total = 0
    for path in paths:
        try:
            total += sum(1 for e in parse(path) if e.msgid or e.msgctxt)
            failures += problems(path)
        except (OSError, SyntaxError, ValueError) as exc:
            failures.append(f"{path}: cannot read: {exc}")
    if failures:
        print(
            f"check_translations: {len(failures)} problem(s) in the French catalogue:",
            file=sys.stderr,
        )
        for failure in failures:
            print(f"  {failure}", file=sys.stderr)
        return 1
    print(
        f"check_translations: {total} message(s) translated in {len(paths)} French catalogue(s), none fuzzy."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
