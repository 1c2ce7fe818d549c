"""The output layer (emstui.present.output) and JSON that is safe to print (sanitize.json_dumps)."""

from __future__ import annotations

import json
import logging
import sys
import unicodedata
from io import StringIO

from emstui.core.sanitize import json_dumps
from emstui.present.output import (
    CleanLogFormatter,
    SafeStream,
    safe,
    write_coloured,
    write_progress,
)

HOSTILE = "a\x1b]52;c;TEFCRUw=\x07b\x1b[2Jc\x9b31md\u202ee\u200bf\x7fg\x00h"


def test_every_control_and_format_character_is_escaped_in_json_and_read_back_exactly() -> None:
    unsafe = [chr(c) for c in range(sys.maxunicode + 1)
              if unicodedata.category(chr(c)) in ("Cc", "Cf", "Zl", "Zp")]
    # A lone surrogate (possible from JSON "\ud800") too; two in a row would read back as a
    # pair, in any JSON, so one is enough.
    text = "".join(unsafe) + "\ud800-é中😀"
    out = json_dumps({"t": text}, indent=None)
    assert not [c for c in out if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs")]
    assert "é中😀" in out  # readable text stays readable
    assert json.loads(out)["t"] == text


def test_the_stream_writes_text_without_any_escape_sequence() -> None:
    target = StringIO()
    stream = SafeStream(target)
    stream.write(HOSTILE + "\n  aligned\tcolumns\n")
    assert target.getvalue() == "abcdefgh\n  aligned\tcolumns\n"
    assert safe(stream) is stream


def test_own_colour_survives_but_a_colour_or_escape_inside_the_text_does_not() -> None:
    target = StringIO()
    write_coloured(SafeStream(target), "\x1b[32mdelivered\x1b[0m  " + HOSTILE)
    assert target.getvalue() == "\x1b[32mdelivered\x1b[0m  abcdefgh"
    progress = StringIO()
    write_progress(SafeStream(progress), "refreshing " + HOSTILE)
    assert progress.getvalue() == "\r\x1b[Krefreshing abcdefgh"


def test_log_lines_are_cleaned() -> None:
    record = logging.LogRecord("emstui", logging.WARNING, __file__, 1, "label %s", (HOSTILE,),
                               None)
    assert CleanLogFormatter("%(message)s").format(record) == "label abcdefgh"
