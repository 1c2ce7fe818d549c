"""What only the EMS Cooperative adapter does: its pages, its request, its 403 (over loopback).

What every provider must do is in test_provider_contract.py.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from loopback import Canned

from emstui import __version__
from emstui.core.clock import FakeClock
from emstui.core.model import Stage, Status
from emstui.core.timeline import event_identity
from emstui.providers.base import (
    BadResponseError,
    EndpointGoneError,
    NumberResult,
    Provider,
    TemporaryError,
)
from emstui.providers.ems import EmsProvider
from emstui.sim import SimServer
from emstui.sim.numbers import make_number

EMS_CN = "EE123456785CN"


@pytest.fixture
def canned() -> Iterator[Canned]:
    with Canned("/api/publicTracking/track") as server:
        yield server


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


def provider_for(url: str, clock: FakeClock, *, timeout: float = 5.0,
                 user_agent: str | None = None) -> EmsProvider:
    return EmsProvider(clock=clock, base_url=url, timeout=timeout, user_agent=user_agent)


# -- pages in the live shape (ems-cooperative.md §2): built exactly to the spec, with synthetic
# numbers and facility names. The id sits on a wrapper div; a plain table inside; US dates.

LIVE_EVENTS = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <form method="get"><input id="publicTrackingView.itemId" name="itemId" value="EE123456785CN">
  </form>
  <div class="result-table hidden" id="table-EE123456785CN">
    <table>
      <thead>
        <tr><th class="header-cell">Date and time</th><th class="header-cell">Status of Item</th><th class="header-cell">Location</th></tr>
      </thead>
      <tbody class="tbody">
        <tr class="result-table-row"><td>Nov 9, 2026, 3:57 PM</td><td>Posted</td><td>SHENZHEN EMS</td></tr>
        <tr class="result-table-row"><td>Nov 10, 2026, 1:02\u00a0AM</td><td>Arrived at export office</td><td>GUANGZHOU</td></tr>
        <tr class="result-table-row"><td>Nov 10, 2026, 4:30\u202fAM</td><td>Presented to export customs and security</td><td>GUANGZHOU</td></tr>
        <tr class="result-table-row"><td>Nov 10, 2026, 9:12 AM</td><td>Released from export customs and security</td><td>GUANGZHOU</td></tr>
        <tr class="result-table-row"><td>Nov 11, 2026, 10:48 PM</td><td>Departed from export office</td><td>GUANGZHOU</td></tr>
        <tr class="result-table-row"><td>Nov 14, 2026, 7:15 AM</td><td>Arrived at destination import office</td><td>FRANKFURT</td></tr>
        <tr class="result-table-row"><td>Nov 14, 2026, 9:40 AM</td><td>Held at destination import office</td><td>FRANKFURT</td></tr>
        <tr class="result-table-row"><td>Nov 14, 2026, 12:05 PM</td><td>Presented to import customs</td><td>FRANKFURT</td></tr>
      </tbody>
    </table>
  </div>
</body>
</html>
"""  # noqa: E501

LIVE_NOT_FOUND = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <div class="result-table hidden" id="table-EE700000000CN">
    <table>
      <thead><tr><th class="header-cell">Date and time</th><th class="header-cell">Status of Item</th><th class="header-cell">Location</th></tr></thead>
      <tbody class="tbody"><tr><td colspan="3" class="no-results-found">There were no results found.</td></tr></tbody>
    </table>
  </div>
</body></html>
"""  # noqa: E501

LIVE_NOT_EMS = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <div class="result-table hidden" id="table-EE123456785CN">
    <ul class="error"><li>Tracking number ''EE123456785CN'' does not denote an EMS item.</li></ul>
  </div>
</body></html>
"""


# -- the old shape (the spec's first version: id on the table, UPU names, ISO-like dates). Kept to
# prove the parser still reads it.
PAGE_5A = """<!-- ILLUSTRATIVE RECONSTRUCTION, NOT A CAPTURED PAGE -->
<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <div class="result">
    <h2 class="result-item-id">EE123456785CN</h2>
    <table class="result-table" id="table-EE123456785CN">
      <thead>
        <tr><th>Date</th><th>Status</th><th>Location</th></tr>
      </thead>
      <tbody>
        <tr class="result-table-row"><td>2024-03-01 09:12</td><td>Posting/Collection</td><td>BEIJING, CHINA</td></tr>
        <tr class="result-table-row"><td>2024-03-01 18:40</td><td>Arrival at outward office of exchange</td><td>BEIJING, CHINA</td></tr>
        <tr class="result-table-row"><td>2024-03-02 07:05</td><td>Departure from outward office of exchange</td><td>BEIJING, CHINA</td></tr>
        <tr class="result-table-row"><td>2024-03-04 06:30</td><td>Arrival at inward office of exchange</td><td>FRANKFURT, GERMANY</td></tr>
        <tr class="result-table-row"><td>2024-03-04 14:10</td><td>Departure from inward office of exchange</td><td>FRANKFURT, GERMANY</td></tr>
        <tr class="result-table-row"><td>2024-03-06 11:25</td><td>Final delivery</td><td>BERLIN, GERMANY</td></tr>
      </tbody>
    </table>
  </div>
</body>
</html>
"""  # noqa: E501

PAGE_5B = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <div class="result">
    <h2 class="result-item-id">EE700000000CN</h2>
    <table class="result-table" id="table-EE700000000CN">
      <thead>
        <tr><th>Date</th><th>Status</th><th>Location</th></tr>
      </thead>
      <tbody>
        <tr><td class="no-results-found" colspan="3">There were no results found.</td></tr>
      </tbody>
    </table>
  </div>
</body>
</html>
"""

PAGE_5C = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <ul class="error">
    <li>LX271828189CN does not denote an EMS item.</li>
  </ul>
</body>
</html>
"""

PAGE_5D = """<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>EMS tracking</title></head>
<body>
  <ul class="error">
    <li>Please enter a valid item identifier.</li>
  </ul>
</body>
</html>
"""


async def track_page(canned: Canned, clock: FakeClock, page: str,
                     number: str = EMS_CN) -> NumberResult:
    """One request for `number` answered with `page`, over loopback."""
    canned.reply(page)
    provider = provider_for(canned.url, clock)
    try:
        [result] = await provider.track([number])
    finally:
        await provider.aclose()
    return result


# -- live shape ----------------------------------------------------------------------------------

async def test_live_page_gives_every_event_newest_first_with_upu_codes_and_wall_times(
        canned: Canned, clock: FakeClock) -> None:
    tracking = (await track_page(canned, clock, LIVE_EVENTS)).tracking
    assert tracking is not None
    assert [e.code for e in tracking.events] == [
        "EDB", "EDA", "EMD", "EMC", "EXC", "EXA", "EMB", "EMA"]
    assert tracking.status is Status.IN_CUSTOMS and tracking.stage is Stage.CUSTOMS
    assert [e.time_local for e in tracking.events[-3:]] == [
        datetime(2026, 11, 10, 4, 30), datetime(2026, 11, 10, 1, 2), datetime(2026, 11, 9, 15, 57)]
    assert all(e.time_local is not None and e.time_utc is None for e in tracking.events)
    arrived = tracking.events[2]
    assert (arrived.description, arrived.location, arrived.time_raw) == (
        "Arrived at destination import office", "FRANKFURT", "Nov 14, 2026, 7:15 AM")
    assert arrived.time_local == datetime(2026, 11, 14, 7, 15)


async def test_live_page_after_export_release_is_in_transit_not_held(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_EVENTS.split('<tr class="result-table-row"><td>Nov 11')[0] + "</tbody></table>"
    tracking = (await track_page(canned, clock, page + "</div></body></html>")).tracking
    assert tracking is not None and tracking.events[0].code == "EXC"
    assert tracking.status is Status.IN_TRANSIT and tracking.stage is Stage.EXPORT


async def test_live_not_found_page_is_not_found(canned: Canned, clock: FakeClock) -> None:
    result = await track_page(canned, clock, LIVE_NOT_FOUND, "EE700000000CN")
    assert result.error is not None and result.error.kind == "not_found"


async def test_live_not_ems_page_is_unsupported(canned: Canned, clock: FakeClock) -> None:
    result = await track_page(canned, clock, LIVE_NOT_EMS)
    assert result.error is not None and result.error.kind == "unsupported"
    assert not result.error.retryable


async def test_only_our_wrapper_is_read_when_the_page_holds_two(canned: Canned,
                                                                clock: FakeClock) -> None:
    other = LIVE_NOT_FOUND.split("<body>")[1].split("</body>")[0].replace(
        "EE700000000CN", "EE000000000CN")
    ours = LIVE_EVENTS.split("<body>")[1].split("</body>")[0]
    for body in (other + ours, ours + other):
        tracking = (await track_page(canned, clock, f"<html><body>{body}</body></html>")).tracking
        assert tracking is not None and len(tracking.events) == 8


async def test_wrapper_without_a_table_is_a_layout_error_naming_the_table(
        canned: Canned, clock: FakeClock) -> None:
    page = f'<div class="result-table" id="table-{EMS_CN}"><p>Loading…</p></div>'
    with pytest.raises(BadResponseError, match=f"no table inside the element table-{EMS_CN}"):
        await track_page(canned, clock, page)


async def test_page_without_our_wrapper_is_a_layout_error_naming_the_id(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_EVENTS.replace('id="table-EE123456785CN"', 'id="results"')
    with pytest.raises(BadResponseError, match=f"no element with id table-{EMS_CN}") as info:
        await track_page(canned, clock, page)
    assert "layout may have changed" in str(info.value)


async def test_table_with_only_headers_is_a_layout_error_naming_the_rows(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_NOT_FOUND.replace("EE700000000CN", EMS_CN).replace(
        '<tr><td colspan="3" class="no-results-found">There were no results found.</td></tr>', "")
    with pytest.raises(BadResponseError, match="no event rows"):
        await track_page(canned, clock, page)


async def test_headers_are_matched_by_keyword_whatever_their_order_and_extras(
        canned: Canned, clock: FakeClock) -> None:
    page = (f'<div id="table-{EMS_CN}"><table><tr><th>Location</th><th>Country</th>'
            "<th>Status of Item</th><th>Date and time</th></tr>"
            '<tr><td>FRANKFURT</td><td>DE</td><td>Arrived at destination import office</td>'
            "<td>Nov 14, 2026, 7:15 AM</td></tr></table></div>")
    [event] = (await track_page(canned, clock, page)).tracking.events  # type: ignore[union-attr]
    assert (event.code, event.location, event.time_local) == (
        "EMD", "FRANKFURT", datetime(2026, 11, 14, 7, 15))


async def test_missing_headers_fall_back_to_date_status_location_by_position(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_EVENTS.replace("<thead>", "<!--").replace("</thead>", "-->")
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None and len(tracking.events) == 8
    assert tracking.events[0].location == "FRANKFURT"


async def test_rows_with_two_or_four_cells_and_empty_cells_still_give_their_events(
        canned: Canned, clock: FakeClock) -> None:
    rows = ('<tr class="result-table-row"><td>Nov 9, 2026, 3:57 PM</td><td>Posted</td></tr>'
            '<tr class="result-table-row"><td>Nov 10, 2026, 1:02 AM</td>'
            "<td>Arrived at export office</td><td>GUANGZHOU</td><td>extra</td></tr>"
            '<tr class="result-table-row"><td></td><td>Departed from export office</td>'
            "<td></td></tr>"
            '<tr class="result-table-row"><td>Nov 12, 2026, 1:00 AM</td></tr>')
    page = LIVE_EVENTS.split('<tbody class="tbody">')[0] + f"<tbody>{rows}</tbody></table></div>"
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None
    assert [(e.code, e.location, e.time_raw) for e in tracking.events] == [
        ("EMC", "", ""), ("EMB", "GUANGZHOU", "Nov 10, 2026, 1:02 AM"),
        ("EMA", "", "Nov 9, 2026, 3:57 PM")]


@pytest.mark.parametrize("when", [
    "Sep 1, 2026, 10:48 AM", "Sep 1, 2026, 10:48\u00a0AM", "Sep 1, 2026, 10:48\u202fAM",
    "Sep 1, 2026 10:48 AM", "01/09/2026 10:48", "2026-09-01 10:48", "sep  1 ,  2026 ,10:48 am"])
async def test_every_date_form_of_the_spec_parses_to_the_same_wall_time(
        canned: Canned, clock: FakeClock, when: str) -> None:
    page = LIVE_EVENTS.replace("Nov 9, 2026, 3:57 PM", when)
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None
    assert tracking.events[-1].time_local == datetime(2026, 9, 1, 10, 48)


async def test_labels_with_odd_spacing_or_case_map_like_the_clean_ones(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_EVENTS.replace("<td>Departed from export office</td>",
                               "<td>\n  DEPARTED   from\texport  Office </td>")
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None
    assert tracking.events[3].code == "EMC" and tracking.events[3].stage is Stage.DEPARTED


async def test_unknown_label_keeps_its_event_and_is_classified_by_wording(
        canned: Canned, clock: FakeClock) -> None:
    page = LIVE_EVENTS.replace("<td>Presented to import customs</td>",
                               "<td>Awaiting customs documents from addressee</td>")
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None
    newest = tracking.events[0]
    assert newest.description == "Awaiting customs documents from addressee"
    assert (newest.code, newest.status) == (None, Status.IN_CUSTOMS)


async def test_a_megabyte_of_rows_keeps_the_newest_hundred(canned: Canned,
                                                           clock: FakeClock) -> None:
    row = ('<tr class="result-table-row"><td>Nov {d}, 2026, {h}:{m:02d} AM</td>'
           "<td>Arrived at sorting center</td><td>HUB {i}</td></tr>")
    rows = "".join(row.format(d=1 + i // 600, h=1 + (i // 60) % 10, m=i % 60, i=i)
                   for i in range(9000))
    page = LIVE_EVENTS.split('<tbody class="tbody">')[0] + f"<tbody>{rows}</tbody></table></div>"
    assert 900_000 < len(page) < 1024 * 1024
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None and len(tracking.events) == 100
    assert tracking.events[0].location == "HUB 8999"


# -- the old shape and the spec's other pages ----------------------------------------------------

async def test_spec_page_5a_gives_six_events_newest_first_with_upu_codes(
        canned: Canned, clock: FakeClock) -> None:
    result = await track_page(canned, clock, PAGE_5A)
    tracking = result.tracking
    assert tracking is not None
    assert [e.code for e in tracking.events] == ["EMI", "EMF", "EMD", "EMC", "EMB", "EMA"]
    assert tracking.status is Status.DELIVERED
    assert tracking.stage is Stage.DELIVERED
    latest = tracking.events[0]
    assert (latest.time_raw, latest.description, latest.location) == (
        "2024-03-06 11:25", "Final delivery", "BERLIN, GERMANY")
    assert latest.time_local == datetime(2024, 3, 6, 11, 25)  # naive: the page gives no offset
    assert all(e.time_utc is None for e in tracking.events)
    assert all(e.provider == "ems" for e in tracking.events)
    assert tracking.events[-1].stage is Stage.POSTED
    assert tracking.fingerprint


async def test_request_is_one_get_with_language_en_and_a_browser_like_user_agent(
        canned: Canned, clock: FakeClock) -> None:
    canned.reply(PAGE_5A)
    provider = provider_for(canned.url, clock)
    try:
        await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    [seen] = canned.seen
    assert seen.method == "GET"
    assert seen.path == f"/api/publicTracking/track?language=EN&itemId={EMS_CN}"
    agent = seen.headers["User-Agent"]
    assert agent.startswith("Mozilla/5.0") and f"emstui/{__version__}" in agent


async def test_spec_page_5b_is_not_found_and_retryable(canned: Canned, clock: FakeClock) -> None:
    number = "EE700000000CN"
    result = await track_page(canned, clock, PAGE_5B, number)
    assert result.tracking is None
    assert result.error is not None
    assert result.error.kind == "not_found"
    assert result.error.retryable


async def test_spec_page_5c_is_unsupported_not_missing(canned: Canned, clock: FakeClock) -> None:
    canned.reply(PAGE_5C)
    provider = provider_for(canned.url, clock)
    try:
        # The adapter is asked about an EMS number; the page still says "not EMS".
        [result] = await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    assert result.error is not None
    assert result.error.kind == "unsupported"
    assert not result.error.retryable


async def test_spec_page_5d_is_an_input_error_with_its_text(canned: Canned,
                                                            clock: FakeClock) -> None:
    result = await track_page(canned, clock, PAGE_5D)
    assert result.error is not None
    assert result.error.kind == "invalid"
    assert result.error.message == "Please enter a valid item identifier."


async def test_table_for_another_number_is_not_trusted(canned: Canned, clock: FakeClock) -> None:
    canned.reply(PAGE_5A.replace("table-EE123456785CN", "table-EE000000000CN"))
    provider = provider_for(canned.url, clock)
    try:
        with pytest.raises(BadResponseError):
            await provider.track([EMS_CN])
    finally:
        await provider.aclose()


async def test_two_column_table_is_read_as_date_and_status(canned: Canned,
                                                           clock: FakeClock) -> None:
    page = PAGE_5A.replace("<th>Location</th>", "")
    for loc in ("BEIJING, CHINA", "FRANKFURT, GERMANY", "BERLIN, GERMANY"):
        page = page.replace(f"<td>{loc}</td>", "")
    tracking = (await track_page(canned, clock, page)).tracking
    assert tracking is not None and len(tracking.events) == 6
    assert all(e.location == "" for e in tracking.events)


async def test_duplicate_rows_are_dropped_and_at_most_100_newest_kept(
        canned: Canned, clock: FakeClock) -> None:
    rows = "".join(
        f'<tr class="result-table-row"><td>2024-03-01 {i // 60:02d}:{i % 60:02d}</td>'
        f"<td>Item into sorting centre</td><td>HUB {i}</td></tr>" for i in range(150))
    duplicate = ('<tr class="result-table-row"><td>2024-03-01 00:00</td>'
                 "<td>Item into sorting centre</td><td>HUB 0</td></tr>")
    page = (f'<table class="result-table" id="table-{EMS_CN}"><tr><th>a</th><th>b</th><th>c</th>'
            f"</tr>{duplicate}{rows}</table>")
    result = await track_page(canned, clock, page)
    events = result.tracking.events  # type: ignore[union-attr]
    assert len(events) == 100
    assert events[0].location == "HUB 149"
    assert events[-1].location == "HUB 50"
    assert len({event_identity(e) for e in events}) == 100


@pytest.mark.parametrize("status", [404, 410])
async def test_404_and_410_mean_the_endpoint_is_gone_never_parcel_not_found(
        canned: Canned, clock: FakeClock, status: int) -> None:
    canned.reply(PAGE_5B, status=status)  # even a "no results" body must not count
    provider = provider_for(canned.url, clock)
    try:
        with pytest.raises(EndpointGoneError, match=r"\[providers\.ems\] base_url"):
            await provider.track([EMS_CN])
    finally:
        await provider.aclose()


async def test_rows_with_only_blank_cells_are_not_events(canned: Canned,
                                                         clock: FakeClock) -> None:
    blank = '<tr class="result-table-row"><td> </td><td>\x1b[0m</td><td></td></tr>'
    canned.reply(PAGE_5A.replace("</tbody>", blank + "</tbody>"))
    canned.reply(f'<table id="table-{EMS_CN}"><tr><th>a</th><th>b</th><th>c</th></tr>{blank}'
                 "</table>")
    provider = provider_for(canned.url, clock)
    try:
        [result] = await provider.track([EMS_CN])
        with pytest.raises(BadResponseError):
            await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    assert len(result.tracking.events) == 6  # type: ignore[union-attr]


async def test_markup_inside_cells_keeps_words_apart(canned: Canned, clock: FakeClock) -> None:
    canned.reply(PAGE_5A.replace("<td>BERLIN, GERMANY</td>",
                                 "<td><b>BERLIN</b><br>GERMANY &amp; <i>more</i></td>"))
    provider = provider_for(canned.url, clock)
    try:
        [result] = await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    assert result.tracking.events[0].location == "BERLIN GERMANY & more"  # type: ignore[union-attr]


# -- gating and politeness -----------------------------------------------------------------------

def test_supports_only_valid_ems_s10_numbers(clock: FakeClock) -> None:
    provider = EmsProvider(clock=clock,
                           transport=httpx.MockTransport(lambda r: httpx.Response(500)))
    assert provider.supports(EMS_CN)
    assert provider.supports(make_number("EA", "00000001", "DE"))
    assert not provider.supports("LX271828189CN")  # an S10 letter, not EMS
    assert not provider.supports("EE123456784CN")  # wrong check digit
    assert not provider.supports("1Z2617V10397725789")
    assert provider.capabilities.max_batch == 1
    assert provider.capabilities.concurrency == 1
    assert provider.capabilities.min_interval == 1.0
    assert provider.capabilities.rate_per_second == 1.0
    assert isinstance(provider, Provider)


async def test_several_numbers_are_fetched_one_at_a_time_a_second_apart(
        canned: Canned, clock: FakeClock) -> None:
    other = make_number("EA", "00000001", "DE")
    canned.reply(PAGE_5A)
    canned.reply(PAGE_5B.replace("EE700000000CN", other))
    provider = provider_for(canned.url, clock)
    try:
        results = await provider.track([EMS_CN, other])
    finally:
        await provider.aclose()
    assert [r.number for r in results] == [EMS_CN, other]
    assert results[0].ok and results[1].error.kind == "not_found"  # type: ignore[union-attr]
    assert clock.slept == [1.0]


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    with SimServer(clock=clock) as server:
        yield server


@pytest.fixture
async def ems(sim: SimServer, clock: FakeClock):
    provider = provider_for(sim.url_ems, clock)
    yield provider
    await provider.aclose()


async def test_simulated_journey_arrives_newest_first_as_local_wall_times(
        sim: SimServer, ems: EmsProvider, clock: FakeClock) -> None:
    journey = sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=20))
    [result] = await ems.track([EMS_CN])
    tracking = result.tracking
    assert tracking is not None
    expected = list(reversed(journey.visible(sim.sim_now())))
    assert [e.code for e in tracking.events] == [e.code for e in expected]
    assert [e.time_raw for e in tracking.events] == [
        " ".join(e.ems_time.split()) for e in expected]
    assert [e.location for e in tracking.events] == [e.ems_location for e in expected]
    assert [e.description for e in tracking.events] == [e.label for e in expected]
    assert all(e.time_local is not None and e.time_local.tzinfo is None for e in tracking.events)
    assert tracking.status is Status.DELIVERED and tracking.stage is Stage.DELIVERED
    [record] = sim.requests
    assert (record.method, record.status, record.numbers) == ("GET", 200, (EMS_CN,))


async def test_customs_hold_shows_in_customs(sim: SimServer, ems: EmsProvider,
                                             clock: FakeClock) -> None:
    journey = sim.journeys.assign(EMS_CN, "customs_hold", posted_at=clock.now())
    held = next(e for e in journey.events if e.code == "EME")
    clock.set(held.time + timedelta(minutes=1))  # the sim shows events up to its clock
    [result] = await ems.track([EMS_CN])
    assert result.tracking is not None
    assert result.tracking.events[0].code == "EME"
    assert result.tracking.status is Status.IN_CUSTOMS
    assert result.tracking.stage is Stage.CUSTOMS


async def test_an_overlong_description_is_cut_with_an_ellipsis(
        sim: SimServer, ems: EmsProvider, clock: FakeClock) -> None:
    sim.journeys.assign(EMS_CN, "hostile", posted_at=clock.now() - timedelta(days=30))
    [result] = await ems.track([EMS_CN])
    assert result.tracking is not None
    texts = [e.description for e in result.tracking.events]
    assert any(t.startswith("Long description") and t.endswith("…") for t in texts)


async def test_sim_refuses_a_non_browser_user_agent_and_we_say_why(
        sim: SimServer, clock: FakeClock) -> None:
    sim.journeys.assign(EMS_CN, "normal")
    provider = provider_for(sim.url_ems, clock, user_agent="python-urllib/3.11")
    try:
        with pytest.raises(TemporaryError, match=r"User-Agent.*\[providers\.ems\] user_agent"):
            await provider.track([EMS_CN])
    finally:
        await provider.aclose()


async def test_sim_403_is_a_temporary_block_hinting_at_the_user_agent(
        sim: SimServer, ems: EmsProvider) -> None:
    sim.faults.fail_next(1, 403, protocol="ems")
    with pytest.raises(TemporaryError, match="User-Agent") as info:
        await ems.track([EMS_CN])
    assert info.value.retryable and not info.value.offline


