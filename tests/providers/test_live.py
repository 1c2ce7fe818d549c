"""Live checks against the real services, for anyone with internet: the parse, not the content.

Skipped unless EMSTUI_LIVE=1 (CI and the normal suite never touch the network). The EMS
Cooperative tracker needs no key; 17TRACK is checked only when EMSTUI_17TRACK_KEY is set, and
registering numbers there costs one quota each the first time (see README, Development).

Numbers: EMSTUI_LIVE_NUMBERS (space or comma separated) or the defaults below, which are example
numbers printed in public documentation (specs/s10.md). Whether they have events today is not
known; an answer of "not found" is a correctly parsed answer too. What must never happen is a
BadResponseError (the page or JSON shape changed) or a malformed event.
"""

from __future__ import annotations

import os
import re
from collections.abc import AsyncIterator
from io import StringIO
from pathlib import Path

import pytest

from emstui.cli.doctor import run_doctor
from emstui.core.clock import SystemClock
from emstui.core.model import Event, Stage, Status
from emstui.core.s10 import parse
from emstui.providers import make_provider
from emstui.providers.base import (
    MemoryRegistrations,
    NumberResult,
    Provider,
    RateLimitedError,
    TemporaryError,
)
from emstui.providers.quota import Quota
from emstui.providers.seventeentrack import SeventeenTrackProvider

DEFAULT_NUMBERS = ("EE719248650CN", "EE434640975CN", "EG688165502JP")
# Read at import: the suite's autouse fixture removes the key from the environment of each test.
LIVE = os.environ.get("EMSTUI_LIVE") == "1"
KEY = os.environ.get("EMSTUI_17TRACK_KEY", "").strip() or None
NUMBERS = tuple(parse(n).value for n in re.split(r"[\s,]+",
                                                   os.environ.get("EMSTUI_LIVE_NUMBERS", ""))
                if n) or DEFAULT_NUMBERS
ANSWERED = {"not_found", "unsupported", "invalid"}
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")

pytestmark = [
    pytest.mark.live,
    pytest.mark.skipif(not LIVE, reason="live check of the real services: set EMSTUI_LIVE=1 "
                                        "(needs internet)"),
]
needs_key = pytest.mark.skipif(not LIVE or KEY is None, reason="live check of 17TRACK: set "
                               "EMSTUI_LIVE=1 and EMSTUI_17TRACK_KEY (needs internet)")


@pytest.fixture
async def ems() -> AsyncIterator[Provider]:
    provider = make_provider("ems", clock=SystemClock(), registrations=MemoryRegistrations())
    assert provider is not None
    yield provider
    await provider.aclose()


@pytest.fixture
async def seventeen() -> AsyncIterator[SeventeenTrackProvider]:
    provider = make_provider("17track", clock=SystemClock(), registrations=MemoryRegistrations(),
                             api_key=KEY)
    assert isinstance(provider, SeventeenTrackProvider)
    yield provider
    await provider.aclose()


async def track(provider: Provider, number: str) -> NumberResult:
    try:
        (result,) = await provider.track([number])
    except (TemporaryError, RateLimitedError) as exc:
        pytest.skip(f"{provider.id} unavailable right now: {exc.message}")
    return result  # BadResponseError and the rest fail the test: that is the finding


def assert_well_formed(event: Event, provider: str) -> None:
    assert event.description or event.time_raw, event
    for text in (event.time_raw, event.description, event.location):
        assert not CONTROL.search(text), repr(text)
        assert len(text) <= 500
    assert event.provider.split(":")[0] == provider
    assert event.status is None or isinstance(event.status, Status)
    assert event.stage is None or isinstance(event.stage, Stage)
    if event.time_utc is not None:
        assert event.time_utc.utcoffset() is not None


def assert_parsed(result: NumberResult, provider: str) -> None:
    if result.tracking is None:
        assert result.error is not None
        assert result.error.kind in ANSWERED, result.error
        return
    tracking = result.tracking
    assert isinstance(tracking.status, Status) and isinstance(tracking.stage, Stage)
    for event in tracking.events:
        assert_well_formed(event, provider)
    known = [e.time_utc or e.time_local for e in tracking.events]
    if all(t is not None and t.tzinfo is not None for t in known):
        assert known == sorted(known, reverse=True)  # type: ignore[type-var]  # newest first


@pytest.mark.parametrize("number", [n for n in NUMBERS if parse(n).is_ems])
async def test_ems_tracker_answers_parse(ems: Provider, number: str) -> None:
    assert_parsed(await track(ems, number), "ems")


@needs_key
@pytest.mark.parametrize("number", NUMBERS)
async def test_17track_answers_parse(seventeen: SeventeenTrackProvider, number: str) -> None:
    assert_parsed(await track(seventeen, number), "17track")


@needs_key
async def test_17track_quota_is_typed(seventeen: SeventeenTrackProvider) -> None:
    try:
        answer = await seventeen.quota()
    except (TemporaryError, RateLimitedError) as exc:
        pytest.skip(f"17track unavailable right now: {exc.message}")
    assert isinstance(answer, Quota) and answer.remain >= 0


def test_doctor_passes_against_the_real_services(tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "config.toml"
    lines = ['[providers]', 'order = ["17track", "ems"]', '']
    if KEY:
        monkeypatch.setenv("EMSTUI_17TRACK_KEY", KEY)
        lines += ['[providers.17track]', 'api_key_env = "EMSTUI_17TRACK_KEY"', '']
    lines += [f'[[parcels]]\nnumber = "{NUMBERS[0]}"\n']
    config.write_text("\n".join(lines), encoding="utf-8")
    out = StringIO()
    code = run_doctor(config, out=out, store_path=tmp_path / "h.sqlite3",
                      capture=tmp_path / "capture")
    if code != 0 and "cannot connect" in out.getvalue():
        pytest.skip("no internet: " + out.getvalue().splitlines()[-1])
    assert code == 0, out.getvalue()
    if KEY:
        captured = "".join(p.read_text() for p in (tmp_path / "capture").iterdir())
        assert KEY not in captured
