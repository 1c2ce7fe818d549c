"""ParcelView.matches: what the monitor's filter line finds a parcel by."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from emstui.config import Parcel
from emstui.present.views import make_view

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
VIEW = replace(make_view(Parcel("EE123456785CN", label="Tea from Hangzhou"), None, NOW, UTC),
               location="Frankfurt IMPC", latest_event="Held by import customs",
               provider="17track")


@pytest.mark.parametrize("text", ["", "tea", "HANGZHOU", "ee1234", "china", "cn", "frankfurt",
                                  "customs", "17TRACK", "unknown"])
def test_a_view_matches_any_of_its_shown_words_ignoring_case(text: str) -> None:
    assert VIEW.matches(text)


@pytest.mark.parametrize("text", ["coffee", "EE 123", "germany", "tea  from"])
def test_a_view_does_not_match_words_it_does_not_show(text: str) -> None:
    assert not VIEW.matches(text)
