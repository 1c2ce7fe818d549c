"""The sanitiser's fast path (one scan, text returned as it is) agrees with the full path."""

from __future__ import annotations

import json

from emstui.core import sanitize
from emstui.core.lazyre import compiled
from emstui.core.sanitize import json_dumps

CODE_POINTS = [*range(0x3100), *range(0xD700, 0x10000), *range(0x10FF0, 0x11100),
               *range(0x13400, 0x13500), *range(0x1BC90, 0x1BCB0), *range(0x1D170, 0x1D180),
               *range(0xE0000, 0xE0100), 0x10FFFF]


def full_path(text: str) -> str:
    text = compiled(sanitize._ESCAPE).sub("", text)
    text = compiled(sanitize._NEWLINE).sub("\n", text)
    return compiled(sanitize._DROP).sub("", text)


def test_text_the_fast_path_keeps_is_text_the_full_path_keeps() -> None:
    for code in CODE_POINTS:
        for text in (f"a{chr(code)}b", f"{chr(code)}[31m", f"é{chr(code)}]0;x\x07"):
            if text.isascii() and text.isprintable():
                continue
            assert sanitize._strip_controls(text) == full_path(text), hex(code)


def test_json_of_ascii_text_needs_no_escapes_but_del() -> None:
    assert json_dumps({"a": "plain\ttext\n"}) == json.dumps({"a": "plain\ttext\n"}, indent=2)
    assert json_dumps({"a": "x\x7fy"}) == '{\n  "a": "x\\u007fy"\n}'
