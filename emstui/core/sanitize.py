"""Make untrusted network text safe to store and show: no escapes, no hidden text, bounded."""

from __future__ import annotations

import unicodedata

from emstui.core.lazyre import compiled

TYPE_CHECKING = False  # typing's own flag without importing typing (which imports re)
if TYPE_CHECKING:
    import re

DESCRIPTION_LIMIT = 500
LOCATION_LIMIT = 120
GENERIC_LIMIT = 200
BLOCK_LIMIT = 2000
ELLIPSIS = "…"

# Whole terminal escape sequences, 7-bit and 8-bit (C1) forms, matched in one linear pass.
# String sequences (OSC, DCS, SOS, PM, APC) run to their terminator; an unterminated one runs to
# the end of the text, because a terminal would have swallowed that text too. An ESC inside a
# string sequence ends it (as in real terminals) and is then matched as a sequence of its own.
_ESCAPE = (
    r"(?:\x1b\]|\x9d)[^\x07\x1b\x9c]*(?:\x07|\x9c|\x1b\\)?"  # OSC ... BEL | ST
    r"|(?:\x1b[PX^_]|[\x90\x98\x9e\x9f])[^\x1b\x9c]*(?:\x9c|\x1b\\)?"  # DCS/SOS/PM/APC ... ST
    r"|(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"  # CSI params intermediates final
    r"|\x1b[ -/]*[0-~]"  # two-character (and nF) escapes: ESC 7, ESC ( B, ESC c ...
)

# Line breaks of every kind become "\n" before anything else is decided.
_NEWLINE = r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]"

# Characters that are removed outright:
# - C0 controls except TAB and LF, DEL, C1 controls (ESC included: a lone ESC left over from a
#   malformed sequence must never reach the terminal);
# - bidi controls (LRM/RLM/ALM, embeddings/overrides U+202A-U+202E, isolates U+2066-U+2069);
# - invisible format characters that can hide or disguise text or throw off cell widths:
#   soft hyphen, Mongolian vowel separator, ZWSP/ZWNJ/ZWJ, word joiner and invisible operators,
#   deprecated format controls, BOM/ZWNBSP, interlinear annotations, tag characters. Dropping
#   ZWJ/ZWNJ can split an emoji sequence or change Persian shaping; for tracking text, width
#   stability and honesty matter more;
# - lone surrogates (possible from JSON "\ud800"), which would crash any UTF-8 write.
_DROP = (
    "[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f"
    "\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


# Every character any of the three patterns above can start a match with (or drop): text
# without one is returned as it is, after one scan instead of three substitutions. In ASCII
# that is C0 but TAB and LF, and DEL.
_ASCII_CONTROL = "[\x00-\x08\x0b-\x1f\x7f]"
_ANY_CONTROL = (
    "[\x00-\x08\x0b-\x1f\x7f-\x9f"
    "\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f"
    "\ufeff\ufff9-\ufffb\ud800-\udfff\U000e0000-\U000e007f]"
)


def _to_str(text: object) -> str:
    if text is None:
        return ""
    if isinstance(text, str):
        return text
    if isinstance(text, bytes | bytearray | memoryview):
        return bytes(text).decode("utf-8", errors="replace")
    return str(text)


def _strip_controls(text: str) -> str:
    """Remove escape sequences and invisible characters; normalise line breaks to "\\n"."""
    if text.isascii():
        if text.isprintable() or not compiled(_ASCII_CONTROL).search(text):  # the common cases
            return text
    elif not compiled(_ANY_CONTROL).search(text):
        return text
    text = compiled(_ESCAPE).sub("", text)
    text = compiled(_NEWLINE).sub("\n", text)
    return compiled(_DROP).sub("", text)


def _truncate(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    if limit <= 0:
        return ""
    cut = limit - 1
    # Do not leave a combining mark orphaned from its base character.
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def clean_line(text: object, *, limit: int = GENERIC_LIMIT) -> str:
    """One line of plain text: no controls, whitespace runs as one space, at most `limit` chars.

    None becomes "", bytes are decoded as UTF-8 (invalid bytes become U+FFFD), anything else is
    str()-ed. Markup-like text such as "[bold]" is kept literally; render it as plain text.
    """
    s = _strip_controls(_to_str(text))
    return _truncate(" ".join(s.split()), limit)


def clean_block(text: object, *, limit: int = BLOCK_LIMIT) -> str:
    """Multi-line plain text: like `clean_line` per line, blank lines dropped, single "\\n" kept."""
    s = _strip_controls(_to_str(text))
    lines = (" ".join(line.split()) for line in s.split("\n"))
    return _truncate("\n".join(line for line in lines if line), limit)


def excerpt(body: bytes | str | None, limit: int = GENERIC_LIMIT) -> str:
    """A short single-line excerpt of a (possibly huge, possibly binary) response body for logs."""
    raw = _to_str(body[: limit * 16] if body is not None else None)
    cut = body is not None and len(body) > limit * 16
    out = clean_line(raw, limit=limit)
    if cut and not out.endswith(ELLIPSIS):
        out = clean_line(out + ELLIPSIS, limit=limit)
    return out


def clean_text(text: object) -> str:
    """Free text for a terminal: like `clean_block` but spacing, tabs and blank lines kept.

    For the output layer (`emstui.present.output`), which sees whole lines and tables whose
    alignment must survive: only escape sequences and invisible or control characters are removed.
    """
    return _strip_controls(_to_str(text))


# Everything JSON may carry raw but a terminal (or a reader) would act on: DEL, C1, bidi and
# other format characters, line/paragraph separators, lone surrogates, private "tag" characters.
# json.dumps escapes C0 itself; with ensure_ascii=False it passes all of these through unchanged.
# tests/core/test_sanitize.py proves this class covers every Cc, Cf, Zl and Zp code point.
_JSON_UNSAFE = (
    "[\x7f-\x9f\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e"
    "\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
    "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f]"
)


def _json_escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code > 0xFFFF:  # JSON spells astral code points as a UTF-16 surrogate pair
        code -= 0x10000
        return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"
    return f"\\u{code:04x}"


def json_dumps(document: object, *, indent: int | None = 2) -> str:
    """JSON that keeps every character of the text but is safe to print to a terminal.

    Readable UTF-8 (accents, CJK, emoji stay as they are); every control and format character
    is written as a `\\uXXXX` escape, so a consumer piping the output to a terminal sees
    `\\u009b` instead of having its terminal act on it. Parsing gives back the exact text.
    """
    import json  # here: most commands never write JSON (`emstui check` starts without it)

    return json_safe(json.dumps(document, ensure_ascii=False, indent=indent))


def json_safe(text: str) -> str:
    """JSON text as `json_dumps` writes it: every character a terminal would act on escaped
    (for JSON assembled from `json.dumps(..., ensure_ascii=False)` pieces)."""
    if text.isascii() and "\x7f" not in text:  # DEL is the only ASCII character to escape
        return text
    # Outside strings JSON is ASCII, so a match is always inside a string literal.
    return compiled(_JSON_UNSAFE).sub(_json_escape, text)
