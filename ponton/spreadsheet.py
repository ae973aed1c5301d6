"""Cells of exported CSV files that a spreadsheet cannot run as formulas (OWASP
"CSV injection"): text starting with = + - @ or a tab/carriage return is prefixed
with an apostrophe, which spreadsheets show as text. Numbers stay numbers."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
