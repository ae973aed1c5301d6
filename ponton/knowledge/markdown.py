"""Markdown to safe HTML for articles written by agents and imported from git."""

from __future__ import annotations

import re
from html import unescape

import nh3
from markdown_it import MarkdownIt

_md = MarkdownIt("commonmark", {"linkify": False, "typographer": False}).enable("table")

_ALLOWED_TAGS = {
    "p",
    "br",
    "hr",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "del",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}, "ol": {"start"}}
_BLOCK_END = re.compile(r"</(?:p|li|h\d|tr|td|th|pre|blockquote|ul|ol|table)>|<br\s*/?>|<hr\s*/?>")
_TAG = re.compile(r"<[^>]+>")
_SPACE = re.compile(r"\s+")


def render(markdown: str) -> str:
    """Render Markdown and keep only harmless HTML (no scripts, styles or event handlers)."""
    return nh3.clean(
        _md.render(markdown),
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        link_rel="noopener noreferrer nofollow",
    )


def plain_text(html: str) -> str:
    """Readable text of rendered HTML, for snippets and excerpts."""
    spaced = _BLOCK_END.sub(" ", html)
    return _SPACE.sub(" ", unescape(_TAG.sub("", spaced))).strip()


def excerpt(html: str, length: int = 220) -> str:
    text = plain_text(html)
    if len(text) <= length:
        return text
    return text[: length - 1].rsplit(" ", 1)[0] + "…"
