"""`fasttoml.loads` is `tomllib.loads`: same values, same key order, same errors."""

from __future__ import annotations

import tomllib
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from emstui.config import fasttoml

HEAD = '[refresh]\ninterval = "1h"\n\n[providers]\norder = ["17track", "ems"]\n\n'
PARCEL_LINES = [
    'number = "EE123456785CN"', 'label = "Tea from Hangzhou"', "label = 'literal'",
    'note = "a \\"quoted\\" word"', 'label = "tab\there"', 'label = "東京 ✓ 🙂"',
    'label = ""', "archived = true", "archived = false", "archived = True",
    "added = 2026-11-20", "added = 2026-13-40", "added = 2026-11-20 10:00:00",
    "added = 2026-11-20T10:00:00Z", 'interval = "2h"  # checked often', "interval = 7200",
    "", "   ", "# a comment", "\t# comment \t", "# bad \x7f comment", 'label = "x"# tight',
    '"number" = "EE123456785CN"', "number.x = 1", 'label = "unterminated', "label = ",
    'label = """multi', '"""', 'label = "x" trailing', 'label = "x"\r', "[[parcels]]\r",
    "[[ parcels ]]", "[[parcels]] # next", "[keys]", "[parcels]", "[[parcels.sub]]",
    'provider = "ems"', 'label = "bell\x07"', "label = \"del\x7f\"", "parcels = 1",
]


def same(text: str) -> None:
    try:
        expected: Any = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        with pytest.raises(tomllib.TOMLDecodeError) as raised:
            fasttoml.loads(text)
        assert str(raised.value) == str(error)
        return
    got = fasttoml.loads(text)
    assert got == expected
    assert list(got) == list(expected)
    for mine, theirs in zip(got.get("parcels", []), expected.get("parcels", []), strict=True):
        assert list(mine) == list(theirs)
        assert [type(v) for v in mine.values()] == [type(v) for v in theirs.values()]


@settings(max_examples=400, deadline=None)
@given(st.lists(st.lists(st.sampled_from(PARCEL_LINES), max_size=5), min_size=1, max_size=5),
       st.sampled_from(["", HEAD, 'parcels = []\n', 'note = """\n[[parcels]]\n', "x = 1\n"]))
def test_any_config_reads_as_tomllib_reads_it(blocks: list[list[str]], head: str) -> None:
    body = "".join("[[parcels]]\n" + "".join(line + "\n" for line in block) for block in blocks)
    same(head + body)


def test_a_plain_watchlist_takes_the_fast_path_and_keeps_types() -> None:
    text = HEAD + "[[parcels]]\nnumber = \"EE123456785CN\"\nadded = 2026-11-20\n" \
                  "archived = true\n\n[[parcels]]\nnumber = \"EE000000001CN\"\n"
    assert fasttoml._loads(text)["parcels"] == [
        {"number": "EE123456785CN", "added": date(2026, 11, 20), "archived": True},
        {"number": "EE000000001CN"}]
    same(text)


@pytest.mark.parametrize("text", [
    "", "a = 1", HEAD, "[[parcels]]", "[[parcels]]\nnumber = \"A\"\n[keys]\nrefresh = \"r\"\n",
    "[[parcels]]\nnumber = \"A\"\nnumber = \"B\"\n", "a = 1\n[[parcels]]\nlabel = \"\\u00e9\"\n",
    "[[parcels]]\r\nnumber = \"A\"\r\n", "[[parcels]]\nnumber = \"A\"\n\x00",
])
def test_edge_cases_read_as_tomllib_reads_them(text: str) -> None:
    same(text)
