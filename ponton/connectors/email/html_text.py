"""HTML mail bodies turned into the plain text an agent reads and the quote stripper works on.

The standard library's parser is enough here: mail HTML is a small, forgiving subset (tables for
layout, paragraphs, line breaks, lists, links, blockquotes for history). A converter of our own
also lets a ``<blockquote>`` come out as ``> `` lines, so quoted history in an HTML-only reply is
removed by the same rules as in a plain-text one.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Their content is never text a person wrote.
_SKIPPED = frozenset({"script", "style", "head", "title", "noscript", "template", "xml"})
# A line of their own.
_LINE_BLOCKS = frozenset(
    {
        "div",
        "tr",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "section",
        "article",
        "header",
        "footer",
        "nav",
        "aside",
        "center",
        "form",
        "dl",
        "dt",
        "dd",
        "address",
        "figure",
        "figcaption",
        "main",
    }
)
# A paragraph of their own: a blank line before and after.
_PARAGRAPH_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "ul", "ol"})
_VOID = frozenset({"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr"})
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0\u200b]+")


class _Converter(HTMLParser):
    """Writes text into lines, each remembering how deep in blockquotes it started."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[tuple[int, str]] = []
        self._line: list[str] = []
        self._line_depth = 0
        self._pending_breaks = 0
        self._skip_depth = 0
        self._pre_depth = 0
        self._quote_depth = 0
        self._lists: list[list[int]] = []  # one entry per open list: [next number] or [] (bullets)
        self._links: list[tuple[str, list[str]]] = []

    # Output -----------------------------------------------------------------------------

    def _break(self, count: int) -> None:
        """Ask for ``count`` line ends before the next text; breaks never pile up."""
        if self._line or self.lines:
            self._pending_breaks = max(self._pending_breaks, count)

    def _end_line(self) -> None:
        self.lines.append((self._line_depth, "".join(self._line).rstrip()))
        self._line = []

    def _flush_breaks(self) -> None:
        if not self._pending_breaks:
            return
        if self._line:
            self._end_line()
        for _ in range(self._pending_breaks - 1):
            self.lines.append((self._quote_depth, ""))
        self._pending_breaks = 0

    def _write(self, text: str) -> None:
        if not text:
            return
        self._flush_breaks()
        if not self._line:
            self._line_depth = self._quote_depth
            if not self._pre_depth:
                text = text.lstrip()
                if not text:
                    return
        elif not self._pre_depth and self._line[-1].endswith(" ") and text.startswith(" "):
            text = text[1:]
        self._line.append(text)
        for _href, collected in self._links:
            collected.append(text)

    def finish(self) -> str:
        self.close()
        if self._line:
            self._end_line()
        rendered: list[str] = []
        for depth, text in self.lines:
            prefix = "> " * depth
            rendered.append((prefix + text).rstrip() if depth else text)
        return re.sub(r"\n{3,}", "\n\n", "\n".join(rendered)).strip("\n")

    # Parser callbacks -------------------------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            if tag not in _VOID:
                self._skip_depth += 1
            return
        if self._skip_depth:
            return
        if tag == "br":
            self._flush_breaks()
            if self._line:
                self._end_line()
            else:
                self.lines.append((self._quote_depth, ""))
            return
        if tag == "blockquote":
            self._break(1)
            self._quote_depth += 1
            return
        if tag in ("ul", "ol"):
            self._lists.append([1] if tag == "ol" else [])
            self._break(1 if len(self._lists) > 1 else 2)
            return
        if tag == "li":
            self._break(1)
            marker = "- "
            if self._lists and self._lists[-1]:
                marker = f"{self._lists[-1][0]}. "
                self._lists[-1][0] += 1
            self._write(marker)
            return
        if tag in ("td", "th"):
            if self._line:
                self._write(" ")
            return
        if tag == "pre":
            self._pre_depth += 1
        if tag in _PARAGRAPH_BLOCKS:
            self._break(2)
            return
        if tag in _LINE_BLOCKS:
            self._break(1)
            return
        if tag == "a":
            self._links.append((dict(attrs).get("href") or "", []))
            return
        if tag == "img":
            alt = (dict(attrs).get("alt") or "").strip()
            # An image is only worth words when it is the whole of a link ("Download" button).
            if alt and self._links and not "".join(self._links[-1][1]).strip():
                self._write(alt)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in _VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skip_depth = max(0, self._skip_depth - 1)
            return
        if self._skip_depth:
            return
        if tag == "blockquote":
            self._quote_depth = max(0, self._quote_depth - 1)
            if self._line:
                self._end_line()
            self._break(1)
            return
        if tag in ("ul", "ol"):
            if self._lists:
                self._lists.pop()
            self._break(2 if not self._lists else 1)
            return
        if tag == "li":
            self._break(1)
            return
        if tag == "pre":
            self._pre_depth = max(0, self._pre_depth - 1)
        if tag in _PARAGRAPH_BLOCKS:
            self._break(2)
            return
        if tag in _LINE_BLOCKS:
            self._break(1)
            return
        if tag == "a" and self._links:
            href, collected = self._links.pop()
            label = "".join(collected).strip()
            target = _link_target(href)
            if label and target and _comparable(label) != _comparable(target):
                self._write(f" ({target})")

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if self._pre_depth:
            for index, part in enumerate(data.split("\n")):
                if index:
                    self._end_line()
                    self._line_depth = self._quote_depth
                self._write(part)
            return
        # <div>&nbsp;</div> and Outlook's <p><o:p>&nbsp;</o:p></p>: an empty line on purpose.
        only_nbsp = "\u00a0" in data and not data.strip(" \t\r\n\u00a0")
        if only_nbsp and (not self._line or self._pending_breaks):
            self._break(2)
            return
        self._write(_SPACES.sub(" ", data))


def _link_target(href: str) -> str:
    """What a reader may want to visit or write to; nothing for anchors and scripts."""
    href = href.strip()
    lowered = href.lower()
    if lowered.startswith("mailto:"):
        return href[len("mailto:") :].split("?", 1)[0]
    if lowered.startswith(("http://", "https://")):
        return href
    return ""


def _comparable(text: str) -> str:
    text = text.strip().lower().rstrip("/")
    for prefix in ("mailto:", "https://", "http://", "www."):
        text = text.removeprefix(prefix)
    return text


def html_to_text(html: str) -> str:
    """Readable text: paragraphs, line breaks, lists, links as "text (url)", quotes as "> "."""
    converter = _Converter()
    converter.feed(html)
    return converter.finish()
