"""What only the 17TRACK adapter does: spec payloads, registration, account codes, facts.

What every provider must do is in test_provider_contract.py.
"""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hostile_checks import assert_inert, facts_texts
from loopback import Canned

from emstui import __version__
from emstui.core.clock import FakeClock
from emstui.core.model import ShipmentFacts, Stage, Status
from emstui.providers import make_provider
from emstui.providers.base import (
    AuthenticationError,
    BadResponseError,
    MemoryRegistrations,
    ProviderError,
    QuotaExhaustedError,
    RateLimitedError,
    TemporaryError,
)
from emstui.providers.seventeentrack import SeventeenTrackProvider
from emstui.sim import SimServer
from emstui.sim.journeys import HOSTILE_CLICK, HOSTILE_STRINGS
from emstui.sim.numbers import make_number
from emstui.store import Store

KEY = "k17-Zq8XvT3m9LwP2rY6"  # distinctive, so a leak is easy to spot
EMS_CN = "EE123456785CN"
UPS = "1Z2617V10397725789"
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

# specs/17track.md section 8: the webhook's `data` has the shape of one gettrackinfo accepted item.
SPEC_ITEM: dict[str, Any] = json.loads("""
{
  "number": "1Z2617V10397725789", "carrier": 3011, "param": null, "tag": null,
  "track_info": {
    "shipping_info": {
      "shipper_address": {"country": "US", "state": "CA", "city": "CITY OF INDUSTRY", "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}},
      "recipient_address": {"country": "US", "state": "CA", "city": "GASQUET", "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}}
    },
    "latest_status": {"status": "Delivered", "sub_status": "Delivered_Other", "sub_status_descr": null},
    "latest_event": {
      "time_iso": "2022-04-04T16:35:22-07:00", "time_utc": "2022-04-04T23:35:22Z", "description": "DELIVERED",
      "location": "GASQUET, CA, US", "stage": null,
      "address": {"country": "US", "state": "CA", "city": "GASQUET", "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}}
    },
    "time_metrics": {"days_after_order": 7, "days_of_transit": 4, "days_of_transit_done": 4, "days_after_last_update": 0,
                     "estimated_delivery_date": {"source": null, "from": null, "to": null}},
    "milestone": [
      {"key_stage": "InfoReceived", "time_iso": "2022-03-28T22:43:08-07:00", "time_utc": "2022-03-29T05:43:08Z"},
      {"key_stage": "PickedUp", "time_iso": null, "time_utc": null},
      {"key_stage": "Departure", "time_iso": null, "time_utc": null},
      {"key_stage": "Arrival", "time_iso": null, "time_utc": null},
      {"key_stage": "AvailableForPickup", "time_iso": null, "time_utc": null},
      {"key_stage": "OutForDelivery", "time_iso": "2022-04-04T08:46:06-07:00", "time_utc": "2022-04-04T15:46:06Z"},
      {"key_stage": "Delivered", "time_iso": "2022-04-04T16:35:22-07:00", "time_utc": "2022-04-04T23:35:22Z"},
      {"key_stage": "Returning", "time_iso": null, "time_utc": null},
      {"key_stage": "Returned", "time_iso": null, "time_utc": null}
    ],
    "misc_info": {"risk_factor": 0, "service_type": "UPS Ground", "weight_raw": "49.20LBS", "weight_kg": "22.32",
                  "pieces": null, "dimensions": null, "customer_number": "2617V1", "reference_number": null,
                  "local_number": "", "local_provider": "", "local_key": 0},
    "tracking": {
      "providers_hash": -595601716,
      "providers": [
        {
          "provider": {"key": 100002, "name": "UPS", "alias": "UPS", "tel": null, "homepage": "http://www.ups.com/", "country": ""},
          "service_type": "UPS Ground", "latest_sync_status": "Success", "latest_sync_time": "2022-04-29T08:06:06Z",
          "events_hash": -925320483,
          "events": [
            {"time_iso": "2022-04-04T16:35:22-07:00", "time_utc": "2022-04-04T23:35:22Z", "description": "DELIVERED", "location": "GASQUET, CA, US", "stage": "Delivered",
             "address": {"country": "US", "state": "CA", "city": "GASQUET", "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}}},
            {"time_iso": "2022-04-04T08:46:06-07:00", "time_utc": "2022-04-04T15:46:06Z", "description": "Out For Delivery Today", "location": "Crescent City, CA, US", "stage": "OutForDelivery",
             "address": {"country": "US", "state": "CA", "city": "Crescent City", "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}}},
            {"time_iso": "2022-03-28T22:43:08-07:00", "time_utc": "2022-03-29T05:43:08Z", "description": "Shipper created a label, UPS has not received the package yet.", "location": "US", "stage": "InfoReceived",
             "address": {"country": "US", "state": null, "city": null, "street": null, "postal_code": null, "coordinates": {"longitude": null, "latitude": null}}}
          ]
        }
      ]
    }
  }
}
""")  # noqa: E501


def envelope(accepted: list[Any] | None = None, rejected: list[Any] | None = None) -> bytes:
    return json.dumps({"code": 0, "data": {"accepted": accepted or [],
                                           "rejected": rejected or []}}).encode()


def request_error(code: int, message: str = "error") -> bytes:
    return json.dumps({"code": code, "data": {"errors": [{"code": code,
                                                          "message": message}]}}).encode()


def rejected(number: str, code: int, message: str = "rejected") -> dict[str, Any]:
    return {"number": number, "error": {"code": code, "message": message}}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def registrations() -> MemoryRegistrations:
    return MemoryRegistrations()


@pytest.fixture
def canned() -> Iterator[Canned]:
    with Canned("/track/v2.2", content_type="application/json") as server:
        yield server


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    # A generous rate limit: these tests fire requests back to back in real time.
    with SimServer(clock=clock, api_key=KEY, quota=100, rate_limit=1000) as server:
        yield server


def make(url: str, clock: FakeClock, registrations: Any, *, key: str = KEY,
         timeout: float = 5.0) -> SeventeenTrackProvider:
    return SeventeenTrackProvider(api_key=key, registrations=registrations, clock=clock,
                                  base_url=url, timeout=timeout)


@pytest.fixture
async def on_canned(canned: Canned, clock: FakeClock,
                    registrations: MemoryRegistrations) -> AsyncIterator[SeventeenTrackProvider]:
    provider = make(canned.url, clock, registrations)
    yield provider
    await provider.aclose()


@pytest.fixture
async def on_sim(sim: SimServer, clock: FakeClock,
                 registrations: MemoryRegistrations) -> AsyncIterator[SeventeenTrackProvider]:
    provider = make(sim.url_17track, clock, registrations)
    yield provider
    await provider.aclose()


def assert_no_key(error: BaseException) -> None:
    texts = [str(error), repr(error), getattr(error, "detail", "") or "",
             getattr(error, "message", "")]
    for text in texts:
        assert KEY not in text and KEY.lower() not in text.lower(), text


# -- the spec's payload -------------------------------------------------------------------------

async def test_spec_sample_item_parses_into_a_delivered_tracking(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([SPEC_ITEM]))
    [result] = await on_canned.track([UPS])
    tracking = result.tracking
    assert tracking is not None
    assert (tracking.status, tracking.stage) == (Status.DELIVERED, Stage.DELIVERED)
    assert (tracking.raw_status, tracking.raw_sub_status) == ("Delivered", "Delivered_Other")
    assert tracking.carriers == ("UPS",)
    assert [e.description for e in tracking.events] == [
        "DELIVERED", "Out For Delivery Today",
        "Shipper created a label, UPS has not received the package yet."]
    latest = tracking.events[0]
    assert latest.provider == "17track:UPS"
    assert latest.location == "GASQUET, CA, US"
    assert latest.time_raw == "2022-04-04T16:35:22-07:00"
    assert latest.time_local == datetime(2022, 4, 4, 16, 35, 22,
                                         tzinfo=timezone(timedelta(hours=-7)))
    assert latest.time_utc == datetime(2022, 4, 4, 23, 35, 22, tzinfo=UTC)
    assert tracking.events[1].stage is Stage.OUT_FOR_DELIVERY
    assert "-595601716" in (tracking.fingerprint or "")
    assert canned.endpoints == ["gettrackinfo"]  # already registered: nothing to register


async def test_missing_optional_blocks_and_null_times_are_tolerated(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    info = item["track_info"]
    info["latest_event"] = None
    del info["milestone"]
    del info["tracking"]["providers_hash"]
    leg = info["tracking"]["providers"][0]
    leg["events"][0].update(time_iso=None, time_utc=None,
                            time_raw={"date": "2022-04-04", "time": "16:35:22", "timezone": None})
    leg["events"][1].update(time_iso=None, time_utc=None)
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([item]))
    [result] = await on_canned.track([UPS])
    tracking = result.tracking
    assert tracking is not None
    first = tracking.events[0]
    assert first.time_raw == "2022-04-04 16:35:22"
    assert first.time_local == datetime(2022, 4, 4, 16, 35, 22)  # naive: no offset given
    assert first.time_utc is None
    untimed = next(e for e in tracking.events if e.description == "Out For Delivery Today")
    assert untimed.time_raw == "" and untimed.time_local is None
    assert tracking.status is Status.DELIVERED
    assert tracking.fingerprint  # falls back to a hash of the events


async def test_empty_providers_and_null_latest_event_give_a_status_without_events(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    item["track_info"].update(latest_event=None, milestone=None,
                              latest_status={"status": "NotFound", "sub_status": "NotFound_Other",
                                             "sub_status_descr": None})
    item["track_info"]["tracking"]["providers"] = []
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([item]))
    [result] = await on_canned.track([UPS])
    assert result.tracking is not None
    assert result.tracking.events == ()
    assert (result.tracking.status, result.tracking.stage) == (Status.NOT_FOUND, Stage.NONE)


async def test_unknown_status_strings_are_kept_raw(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    item["track_info"]["latest_status"] = {"status": "Teleported", "sub_status": "Teleported_Moon"}
    item["track_info"]["milestone"] = []
    for event in item["track_info"]["tracking"]["providers"][0]["events"]:
        event["stage"] = None
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([item]))
    [result] = await on_canned.track([UPS])
    assert result.tracking is not None
    assert result.tracking.status is Status.UNKNOWN
    assert result.tracking.raw_status == "Teleported"
    assert result.tracking.raw_sub_status == "Teleported_Moon"


async def test_missing_track_info_means_no_information_yet(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([{"number": UPS, "carrier": 100002, "track_info": None}]))
    [result] = await on_canned.track([UPS])
    assert result.error is not None and result.error.kind == "not_found"


async def test_register_body_names_china_ems_for_cn_ems_and_auto_detects_others(
        canned: Canned, on_canned: SeventeenTrackProvider) -> None:
    german = make_number("EA", "00000001", "DE")
    canned.reply(envelope([{"number": EMS_CN, "carrier": 3013, "origin": 2},
                           {"number": german, "carrier": 7041, "origin": 1},
                           {"number": UPS, "carrier": 100002, "origin": 1}]))
    canned.reply(envelope([]))
    await on_canned.track([EMS_CN, german, UPS])
    register, gettrackinfo = canned.seen
    assert register.path == "/track/v2.2/register"
    assert register.json() == [
        {"number": EMS_CN, "carrier": 3013}, {"number": german}, {"number": UPS}]
    assert register.headers["17token"] == KEY
    assert register.headers["User-Agent"] == (
        f"emstui/{__version__} (+https://github.com/emstui/emstui)")
    assert gettrackinfo.json() == [{"number": EMS_CN}, {"number": german}, {"number": UPS}]


async def test_per_number_rejections_map_to_number_errors(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    numbers = ["AAAAA11111", "BBBBB22222", "CCCCC33333", "DDDDD44444"]
    for number in numbers:
        registrations.mark_registered(number, "17track", at=START)
    canned.reply(envelope(rejected=[
        rejected(numbers[0], -18019903), rejected(numbers[1], -18010012),
        rejected(numbers[2], -18019909), rejected(numbers[3], -18099999, "Odd \x1b[31mthing")]))
    results = await on_canned.track(numbers)
    kinds = [(r.error.kind, r.error.retryable) for r in results]  # type: ignore[union-attr]
    assert kinds == [("unsupported", False), ("invalid", False), ("not_found", True),
                     ("rejected", True)]
    assert "Odd thing" in results[3].error.message  # type: ignore[union-attr]


async def test_a_number_missing_from_the_reply_gets_an_error_not_silence(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([]))
    [result] = await on_canned.track([UPS])
    assert result.error is not None and result.error.kind == "bad_response"


@pytest.mark.parametrize(("code", "expected", "words"), [
    (-18010001, AuthenticationError, "IP whitelist in the 17TRACK dashboard"),
    (-18010002, AuthenticationError, "[providers.17track] api_key / api_key_env"),
    (-18010004, AuthenticationError, "disabled"),
    (-18010005, AuthenticationError, "[providers.17track] api_key / api_key_env"),
    (-18019907, QuotaExhaustedError, "daily"),
    (-18019908, QuotaExhaustedError, "quota"),
    (-18010014, BadResponseError, "more than 40"),
    (-18010003, TemporaryError, "internal error"),
    (-18010013, BadResponseError, "-18010013"),
])
async def test_whole_request_codes_raise_the_right_typed_error(
        canned: Canned, on_canned: SeventeenTrackProvider, registrations: MemoryRegistrations,
        code: int, expected: type[ProviderError], words: str) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(request_error(code, f"Server says {KEY} is wrong"))
    with pytest.raises(expected) as info:
        await on_canned.track([UPS])
    assert type(info.value) is expected
    assert words in info.value.message
    assert_no_key(info.value)


async def test_ip_whitelist_code_with_http_401_names_the_whitelist(
        canned: Canned, on_canned: SeventeenTrackProvider) -> None:
    canned.reply(request_error(-18010001), status=401)
    with pytest.raises(AuthenticationError, match="IP whitelist"):
        await on_canned.track([UPS])


async def test_auth_code_inside_a_rejected_item_stops_the_request(
        canned: Canned, on_canned: SeventeenTrackProvider) -> None:
    canned.reply(envelope(rejected=[rejected(UPS, -18010002)]))
    with pytest.raises(AuthenticationError, match="api_key"):
        await on_canned.track([UPS])


@pytest.mark.parametrize(("body", "content_type", "words"), [
    (b"{not json", "application/json", "invalid or incomplete JSON"),
    (b'{"code": 0, "data": {"acc', "application/json", "invalid or incomplete JSON"),
    (b"[1, 2, 3]", "application/json", "not a JSON object"),
    (b'{"code": "zero", "data": {}}', "application/json", "numeric 'code'"),
    (b'{"code": 0, "data": []}', "application/json", "no 'data' object"),
    (b'{"code": 0, "data": {"accepted": {}, "rejected": []}}', "application/json", "not lists"),
    (b"<html><body>Welcome to the hotel wifi</body></html>", "text/html", "HTML instead of JSON"),
    (b"  <!DOCTYPE html><p>hi", "application/json", "HTML instead of JSON"),
    (b"[" * 100_000, "application/json", "invalid or incomplete JSON"),
])
async def test_malformed_replies_are_bad_responses(
        canned: Canned, on_canned: SeventeenTrackProvider, registrations: MemoryRegistrations,
        body: bytes, content_type: str, words: str) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(body, content_type=content_type)
    with pytest.raises(BadResponseError, match=words):
        await on_canned.track([UPS])


async def test_a_key_echoed_inside_17tracks_json_never_leaks(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(request_error(-18019999, f"bad {KEY}"))
    with pytest.raises(ProviderError) as info:
        await on_canned.track([UPS])
    assert_no_key(info.value)
    assert "bad [redacted]" in (info.value.detail or "")
    canned.reply(envelope(rejected=[rejected(UPS, -18099999, f"echo {KEY}")]))
    [result] = await on_canned.track([UPS])
    assert result.error is not None
    assert "echo" in result.error.message and KEY not in result.error.message


# -- shipment facts (spec section 8: time_metrics, shipping_info, misc_info, sync) ---------------

def with_facts(**changes: Any) -> dict[str, Any]:
    """The spec item with its empty facts filled in the way the spec describes the fields."""
    item = copy.deepcopy(SPEC_ITEM)
    info = item["track_info"]
    info["latest_status"] = {"status": "InTransit", "sub_status": "InTransit_Arrival",
                             "sub_status_descr": "Arrived in the destination country"}
    info["time_metrics"]["estimated_delivery_date"] = {
        "source": "Official", "from": "2022-04-06T00:00:00-07:00",
        "to": "2022-04-08T00:00:00-07:00"}
    info["shipping_info"]["shipper_address"]["country"] = "CN"
    info["misc_info"].update(local_number="9400100000000000000000", local_provider="USPS",
                             local_key=21051)
    for key, value in changes.items():
        section, _, field = key.partition("__")
        target = info["misc_info"] if section == "misc" else info["latest_status"]
        target[field] = value
    return item


async def track_one(canned: Canned, provider: SeventeenTrackProvider,
                    registrations: MemoryRegistrations, item: dict[str, Any]) -> Any:
    registrations.mark_registered(UPS, "17track", at=START)
    canned.reply(envelope([item]))
    [result] = await provider.track([UPS])
    assert result.tracking is not None, result.error
    return result.tracking


async def test_spec_sample_facts_are_its_countries_and_sync(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    facts = (await track_one(canned, on_canned, registrations, SPEC_ITEM)).facts
    assert facts == ShipmentFacts(
        origin_country="US", destination_country="US", sync_status="Success",
        sync_time=datetime(2022, 4, 29, 8, 6, 6, tzinfo=UTC), sync_carrier="UPS")
    assert not facts.has_eta and facts.sync_ok  # null window, "" last-mile fields: absent


async def test_filled_facts_are_kept(canned: Canned, on_canned: SeventeenTrackProvider,
                                     registrations: MemoryRegistrations) -> None:
    facts = (await track_one(canned, on_canned, registrations, with_facts())).facts
    pacific = timezone(timedelta(hours=-7))
    assert facts.eta_from == datetime(2022, 4, 6, tzinfo=pacific)
    assert facts.eta_to == datetime(2022, 4, 8, tzinfo=pacific)
    assert facts.eta_source == "Official"
    assert (facts.origin_country, facts.destination_country) == ("CN", "US")
    assert (facts.local_number, facts.local_provider) == ("9400100000000000000000", "USPS")
    assert facts.sub_status_text == "Arrived in the destination country"


@pytest.mark.parametrize("window", [
    {"source": None, "from": "2022-04-06", "to": None},
    {"source": 7, "from": "2022-04-06 00:00", "to": "garbage"},
    {"from": "2022-04-06T00:00:00Z"},
])
async def test_a_partial_or_date_only_window_keeps_what_parses(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations, window: dict[str, Any]) -> None:
    item = with_facts()
    item["track_info"]["time_metrics"]["estimated_delivery_date"] = window
    facts = (await track_one(canned, on_canned, registrations, item)).facts
    assert facts.eta_from is not None and facts.eta_from.date() == date(2022, 4, 6)
    assert facts.eta_to is None
    assert facts.eta_source in (None, "7")


async def test_a_reversed_window_is_put_in_order(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = with_facts()
    item["track_info"]["time_metrics"]["estimated_delivery_date"].update(
        {"from": "2022-04-09", "to": "2022-04-07"})
    facts = (await track_one(canned, on_canned, registrations, item)).facts
    assert (facts.eta_from, facts.eta_to) == (datetime(2022, 4, 7), datetime(2022, 4, 9))


ODD_VALUES: list[Any] = [None, "", "   ", 0, -1, 1.5, True, [], {}, ["DE"], {"code": "DE"},
                         "not a date", "9999-12-31", "0001-01-01", "DEU", "D", "x" * 100_000,
                         "2022-13-45T99:99:99Z", "\x00\x1b[2J"]


@pytest.mark.parametrize("odd", ODD_VALUES, ids=range(len(ODD_VALUES)))
async def test_odd_typed_facts_never_crash_and_stay_bounded(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations, odd: Any) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    info = item["track_info"]
    info["time_metrics"]["estimated_delivery_date"] = {"source": odd, "from": odd, "to": odd}
    info["shipping_info"]["shipper_address"]["country"] = odd
    info["shipping_info"]["recipient_address"] = odd
    info["misc_info"].update(local_number=odd, local_provider=odd)
    info["latest_status"]["sub_status_descr"] = odd
    leg = info["tracking"]["providers"][0]
    leg.update(latest_sync_status=odd, latest_sync_time=odd, provider=odd)
    item["destination_country"] = odd
    tracking = await track_one(canned, on_canned, registrations, item)
    facts = tracking.facts
    for text in facts_texts(facts):
        assert_inert(text, limit=200)
    for country in (facts.origin_country, facts.destination_country):
        assert country is None or (len(country) == 2 and country.isalpha() and
                                   country.isupper())
    for bound in (facts.eta_from, facts.eta_to):
        assert bound is None or 2000 <= bound.year <= 2099
    assert len(tracking.events) == 3  # the events are untouched by odd facts


async def test_whole_blocks_of_the_wrong_type_give_no_facts_but_a_tracking(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    item["track_info"].update(time_metrics="soon", shipping_info=[1, 2], misc_info=None,
                              latest_status={"status": "Delivered"})
    item["track_info"]["tracking"]["providers"][0].pop("latest_sync_status")
    item["track_info"]["tracking"]["providers"][0].pop("latest_sync_time")
    facts = (await track_one(canned, on_canned, registrations, item)).facts
    assert facts == ShipmentFacts()


async def test_every_fact_text_from_a_hostile_reply_is_inert(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    for hostile in HOSTILE_STRINGS:
        item = with_facts(misc__local_number=hostile, misc__local_provider=hostile,
                          status__sub_status_descr=hostile)
        info = item["track_info"]
        info["time_metrics"]["estimated_delivery_date"]["source"] = hostile
        leg = info["tracking"]["providers"][0]
        leg.update(latest_sync_status=hostile, provider={"name": hostile})
        facts = (await track_one(canned, on_canned, registrations, item)).facts
        texts = facts_texts(facts)
        assert len(texts) == 8
        for text in texts:
            assert_inert(text, limit=200)
        assert facts.sync_ok is False  # an unknown sync status is not a healthy one
    assert "[@click=app.quit]Click me[/]" in facts_texts(
        (await track_one(canned, on_canned, registrations, with_facts(
            status__sub_status_descr=HOSTILE_CLICK))).facts)


async def test_sync_reports_the_failing_leg_else_the_one_synced_longest_ago(
        canned: Canned, on_canned: SeventeenTrackProvider,
        registrations: MemoryRegistrations) -> None:
    item = copy.deepcopy(SPEC_ITEM)
    legs = item["track_info"]["tracking"]["providers"]
    legs.append(copy.deepcopy(legs[0]))
    legs[1]["provider"] = {"name": "USPS"}
    legs[1]["latest_sync_time"] = "2022-04-20T08:00:00Z"
    facts = (await track_one(canned, on_canned, registrations, item)).facts
    assert (facts.sync_status, facts.sync_carrier) == ("Success", "USPS")
    assert facts.sync_time == datetime(2022, 4, 20, 8, tzinfo=UTC)
    legs[0]["latest_sync_status"] = "Failure"
    facts = (await track_one(canned, on_canned, registrations, item)).facts
    assert (facts.sync_status, facts.sync_carrier, facts.sync_ok) == ("Failure", "UPS", False)


# -- against the simulated account ---------------------------------------------------------------

async def test_new_number_is_registered_as_china_ems_then_tracked(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock,
        registrations: MemoryRegistrations) -> None:
    journey = sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=20))
    [result] = await on_sim.track([EMS_CN])
    tracking = result.tracking
    assert tracking is not None
    assert sim.registrations() == {EMS_CN: 1}
    assert sim.track17.registered_numbers() == {EMS_CN: 3013}
    assert registrations.is_registered(EMS_CN, "17track")
    assert [r.path.rsplit("/", 1)[-1] for r in sim.requests] == ["register", "gettrackinfo"]
    expected = list(reversed(journey.visible(sim.sim_now())))
    assert [e.code for e in tracking.events] == [e.code for e in expected]
    assert [e.time_utc for e in tracking.events] == [e.time for e in expected]
    assert (tracking.status, tracking.stage) == (Status.DELIVERED, Stage.DELIVERED)
    assert len(tracking.carriers) == 2  # origin and destination legs
    legs = {e.provider for e in tracking.events}
    assert legs == {f"17track:{name}" for name in tracking.carriers}


async def test_number_is_registered_once_across_restarts_with_a_real_store(
        sim: SimServer, clock: FakeClock, tmp_path: Path) -> None:
    sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=3))
    path = tmp_path / "state.sqlite3"
    for _ in range(3):  # three "runs" of the app, each with a fresh store and provider
        with Store(path, clock=clock) as store:
            provider = make(sim.url_17track, clock, store)
            try:
                [result] = await provider.track([EMS_CN])
            finally:
                await provider.aclose()
            assert result.ok
    assert sim.registrations() == {EMS_CN: 1}
    assert sim.request_count("register") == 1
    assert sim.request_count("gettrackinfo") == 3


async def test_already_registered_elsewhere_counts_as_registered_and_is_remembered(
        sim: SimServer, clock: FakeClock, registrations: MemoryRegistrations) -> None:
    sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=3))
    other = make(sim.url_17track, clock, MemoryRegistrations())  # e.g. another machine
    try:
        await other.track([EMS_CN])
    finally:
        await other.aclose()
    provider = make(sim.url_17track, clock, registrations)
    try:
        [result] = await provider.track([EMS_CN])  # register answers -18019901
        await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    assert result.ok
    assert registrations.is_registered(EMS_CN, "17track")
    assert sim.registrations() == {EMS_CN: 1}
    assert sim.request_count("register") == 2  # one per provider, never again


async def test_lost_registration_is_renewed_and_retried_once(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock,
        registrations: MemoryRegistrations) -> None:
    sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=3))
    registrations.mark_registered(EMS_CN, "17track", at=START)  # we think so; 17TRACK does not
    [result] = await on_sim.track([EMS_CN])
    assert result.ok
    assert [r.path.rsplit("/", 1)[-1] for r in sim.requests] == [
        "gettrackinfo", "register", "gettrackinfo"]


async def test_a_batch_of_40_is_two_requests_and_keeps_input_order(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock) -> None:
    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(1, 41)]
    for number in numbers:
        sim.journeys.assign(number, "normal", posted_at=clock.now() - timedelta(days=5))
    results = await on_sim.track(numbers)
    assert [r.number for r in results] == numbers
    assert all(r.ok for r in results)
    assert [(r.path.rsplit("/", 1)[-1], len(r.numbers)) for r in sim.requests] == [
        ("register", 40), ("gettrackinfo", 40)]
    assert on_sim.capabilities.max_batch == 40


async def test_more_than_40_numbers_is_refused_before_any_request(
        sim: SimServer, on_sim: SeventeenTrackProvider) -> None:
    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(1, 42)]
    with pytest.raises(ValueError, match="at most 40"):
        await on_sim.track(numbers)
    assert sim.requests == []


async def test_partial_success_mixes_trackings_and_number_errors(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock) -> None:
    sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=3))
    results = await on_sim.track([EMS_CN, UPS])  # the sim cannot detect a carrier for UPS
    assert results[0].ok
    assert results[1].error is not None and results[1].error.kind == "unsupported"
    assert sim.registrations() == {EMS_CN: 1}


async def test_quota_running_out_rejects_only_the_new_numbers(
        clock: FakeClock, registrations: MemoryRegistrations) -> None:
    second = make_number("EE", "00000002", "CN")
    with SimServer(clock=clock, api_key=KEY, quota=1, rate_limit=1000) as sim:
        provider = make(sim.url_17track, clock, registrations)
        try:
            [first_result] = await provider.track([EMS_CN])
            old, new = await provider.track([EMS_CN, second])
        finally:
            await provider.aclose()
    assert first_result.ok and old.ok
    assert new.error is not None and new.error.kind == "quota"
    assert not registrations.is_registered(second, "17track")


async def test_bad_key_is_an_authentication_error_naming_the_setting(
        sim: SimServer, clock: FakeClock, registrations: MemoryRegistrations) -> None:
    provider = make(sim.url_17track, clock, registrations, key="wrong-key-123")
    try:
        with pytest.raises(AuthenticationError) as info:
            await provider.track([EMS_CN])
    finally:
        await provider.aclose()
    assert "[providers.17track] api_key / api_key_env" in str(info.value)
    assert not info.value.retryable
    assert "wrong-key-123" not in str(info.value) + repr(info.value) + (info.value.detail or "")


async def test_hostile_shipment_facts_and_carriers_arrive_inert_and_bounded(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock) -> None:
    probe = sim.journeys.assign(EMS_CN, "hostile", posted_at=clock.now())
    released = next(e for e in probe.events if e.code == "EDC")  # the last poisoned event
    sim.journeys.assign(EMS_CN, "hostile",
                        posted_at=clock.now() - released.offset - timedelta(minutes=1))
    [result] = await on_sim.track([EMS_CN])
    assert result.tracking is not None
    facts = result.tracking.facts
    for text in facts_texts(facts):
        assert_inert(text, limit=200)
    assert facts is not None and facts.local_provider and facts.sub_status_text
    assert "[bold]x[/]" in facts.local_provider  # markup stays literal text
    assert facts.sub_status_text == "[@click=app.quit]Click me[/] RED"
    assert facts.eta_source == "NULDELEND"
    assert facts.sync_carrier is not None and facts.sync_carrier.startswith("link Long")
    assert all(len(c) <= 60 for c in result.tracking.carriers)


async def test_a_failing_sync_at_17track_is_reported(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock) -> None:
    sim.journeys.assign(EMS_CN, "normal", posted_at=clock.now() - timedelta(days=2))
    [first] = await on_sim.track([EMS_CN])
    assert first.tracking is not None and first.tracking.facts is not None
    assert first.tracking.facts.sync_ok
    synced = first.tracking.facts.sync_time
    assert synced is not None and clock.now() - timedelta(hours=4) < synced <= clock.now()
    sim.track17.fail_sync(EMS_CN, clock.now())
    clock.advance(3 * 86400)
    [later] = await on_sim.track([EMS_CN])
    assert later.tracking is not None and later.tracking.facts is not None
    assert (later.tracking.facts.sync_status, later.tracking.facts.sync_time) == (
        "Failure", synced)


# -- transport and HTTP faults from the simulator -----------------------------------------------

async def test_exceeding_the_servers_own_rate_limit_is_rate_limited(
        clock: FakeClock, registrations: MemoryRegistrations) -> None:
    with SimServer(clock=clock, api_key=KEY, rate_limit=1, monotonic=lambda: 0.0) as sim:
        provider = make(sim.url_17track, clock, registrations)
        try:
            with pytest.raises(RateLimitedError) as info:
                await provider.track([EMS_CN])  # register passes, gettrackinfo is the 2nd
        finally:
            await provider.aclose()
    assert info.value.retry_after is not None and info.value.retry_after >= 1


def test_factory_skips_17track_without_a_key(clock: FakeClock) -> None:
    for key in (None, "", "   "):
        assert make_provider("17track", api_key=key, clock=clock,
                             registrations=MemoryRegistrations()) is None


def test_factory_passes_the_concurrency_into_17tracks_capabilities(clock: FakeClock) -> None:
    provider = make_provider("17track", api_key=KEY, clock=clock,
                             registrations=MemoryRegistrations(), concurrency=2)
    assert isinstance(provider, SeventeenTrackProvider)
    caps = provider.capabilities
    assert (caps.max_batch, caps.rate_per_second, caps.concurrency) == (40, 3.0, 2)


def test_supports_s10_and_other_carrier_numbers() -> None:
    provider = SeventeenTrackProvider(api_key=KEY, registrations=MemoryRegistrations(),
                                      clock=FakeClock(START))
    assert provider.supports(EMS_CN) and provider.supports(UPS)
    assert not provider.supports("AB12") and not provider.supports("X" * 51)
    assert not provider.supports("EE 123")


async def test_a_long_answer_is_parsed_with_the_event_loop_running_between_chunks(
        sim: SimServer, on_sim: SeventeenTrackProvider, clock: FakeClock,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from emstui.providers import seventeentrack

    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(1, 41)]
    for number in numbers:
        sim.journeys.assign(number, "normal", posted_at=clock.now() - timedelta(days=5))
    turns = 0
    seen: list[int] = []  # the other task's turns when each item was parsed
    running = True

    async def other_task() -> None:
        nonlocal turns
        while running:
            turns += 1
            await asyncio.sleep(0)

    def counting_parse(number: str, item: dict[str, Any]) -> Any:
        seen.append(turns)
        return parse_item(number, item)

    parse_item = seventeentrack.parse_item
    monkeypatch.setattr(seventeentrack, "parse_item", counting_parse)
    other = asyncio.ensure_future(other_task())
    results = await on_sim.track(numbers)
    running = False
    await other
    assert all(r.ok for r in results) and len(seen) == 40
    assert seen[0] < seen[-1]  # the loop ran while the answer was being parsed
