"""`tomllib.loads`, with a fast path for the part of a config that grows: the [[parcels]].

A watchlist of 20,000 parcels is ~40,000 lines of `number = "..."` and `label = "..."`, and
tomllib (pure Python) takes about 0.35 s over them on every `emstui --once`. When every line
from the first `[[parcels]]` header to the end is a header `[[parcels]]`, a blank or comment
line, or `key = value` with a bare key and a plain value (a basic string without escapes,
true/false, a date), those lines are read here with one regular expression each, and tomllib
parses the rest (the lines before, the parcels' lines blanked so positions stay). Anything else
(an escape, a multi-line value, another table after the parcels, a duplicate key, a `parcels`
key defined elsewhere) makes the whole text go through tomllib: the result, and every error
with its position, are tomllib's own (tests/config/test_fasttoml.py compares them).
"""

from __future__ import annotations

import re
import tomllib
from datetime import date
from typing import Any

_END = r"[ \t]*(?:#[^\x00-\x08\x0a-\x1f\x7f]*)?\r?"  # trailing space and comment, CRLF
_HEADER_RE = re.compile(r"[ \t]*\[\[[ \t]*parcels[ \t]*\]\]" + _END)
_SKIP_RE = re.compile(_END)
_KEY_VALUE_RE = re.compile(
    r'[ \t]*([A-Za-z0-9_-]+)[ \t]*=[ \t]*'
    r'(?:"([^"\\\x00-\x08\x0a-\x1f\x7f]*)"|(true|false)|([0-9]{4})-([0-9]{2})-([0-9]{2}))'
    + _END)


class _Slow(Exception):
    """This text needs tomllib all the way."""


def loads(text: str) -> dict[str, Any]:
    """Exactly `tomllib.loads(text)` (same result, same key order, same errors)."""
    try:
        return _loads(text)
    except (_Slow, tomllib.TOMLDecodeError):
        return tomllib.loads(text)


def _loads(text: str) -> dict[str, Any]:
    lines = text.split("\n")
    first = next((i for i, line in enumerate(lines) if _HEADER_RE.fullmatch(line)), None)
    if first is None:
        raise _Slow
    parcels: list[dict[str, Any]] = []
    current: dict[str, Any] = {}
    for line in lines[first:]:
        if (match := _KEY_VALUE_RE.fullmatch(line)) is not None:
            key = match.group(1)
            if key in current:
                raise _Slow
            current[key] = _value(match)
        elif _HEADER_RE.fullmatch(line):
            current = {}
            parcels.append(current)
        elif not _SKIP_RE.fullmatch(line):
            raise _Slow
    document = tomllib.loads("\n".join(lines[:first]) + "\n" * (len(lines) - first))
    if "parcels" in document:
        raise _Slow
    document["parcels"] = parcels
    return document


def _value(match: re.Match[str]) -> Any:
    text, flag, year = match.group(2), match.group(3), match.group(4)
    if text is not None:
        return text
    if flag is not None:
        return flag == "true"
    try:
        return date(int(year), int(match.group(5)), int(match.group(6)))
    except ValueError:
        raise _Slow from None
