"""Tests for emstui.sim: journeys, the 17TRACK and EMS protocols, faults, over real loopback."""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest

from emstui.core.clock import FakeClock
from emstui.sim import (
    EMS_LABELS,
    HOSTILE_STRINGS,
    SCENARIOS,
    UPU_NAMES,
    Faults,
    Journeys,
    SimServer,
    default_scenario,
    demo_parcels,
)
from emstui.sim.numbers import check_digit, is_valid_s10, make_number

KEY = "test-key-1234"
UA = {"User-Agent": "Mozilla/5.0 (emstui tests)"}
EMS_NUMBER = "EE123456785CN"
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    with SimServer(api_key=KEY, clock=clock, rate_limit=0) as server:
        yield server


@pytest.fixture
def client(sim: SimServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=sim.base_url, headers={"17token": KEY, **UA},
                      timeout=5.0) as c:
        yield c


def post(client: httpx.Client, endpoint: str, body: Any) -> httpx.Response:
    return client.post(f"/track/v2.2/{endpoint}", json=body)


def ems(client: httpx.Client, number: str, **kw: Any) -> httpx.Response:
    return client.get("/api/publicTracking/track", params={"language": "EN", "itemId": number},
                      **kw)


def number(i: int, service: str = "EE", country: str = "CN") -> str:
    return make_number(service, f"{i:08d}", country)


class Cells(HTMLParser):
    """Rows of td text per table row class, as an HTML-parsing client would read them."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[str]] = []
        self.headers: list[str] = []
        self.table_ids: list[str] = []  # ids of tables: live pages have none
        self.wrapper_ids: list[str] = []  # ids of every other element named "table-..."
        self.wrapper_tags: list[str] = []
        self.classes: list[str] = []
        self._cell: list[str] | None = None
        self._in_th = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("class"):
            self.classes.append(str(a["class"]))
        if tag == "table":
            self.table_ids.append(str(a.get("id")))
        elif str(a.get("id")).startswith("table-"):
            self.wrapper_ids.append(str(a["id"]))
            self.wrapper_tags.append(tag)
        if tag == "tr" and a.get("class") == "result-table-row":
            self.rows.append([])
        if tag == "td" and self.rows and a.get("class") is None:
            self._cell = []
        if tag == "th":
            self._in_th = True
            self.headers.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None
        if tag == "th":
            self._in_th = False

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        if self._in_th:
            self.headers[-1] += data


def parse(html: str) -> Cells:
    p = Cells()
    p.feed(html)
    p.close()
    return p


# -- numbers and journeys ----------------------------------------------------------------------


def test_check_digit_follows_the_s10_weights_and_special_cases() -> None:
    assert check_digit("47312482") == 9
    assert check_digit("12345678") == 5
    assert is_valid_s10("EE123456785CN")
    assert not is_valid_s10("EE123456784CN")
    remainders = {check_digit(f"{i:08d}") for i in range(200)}
    assert remainders <= set(range(10)) and {0, 5} <= remainders


def test_journeys_are_deterministic_per_number() -> None:
    a = Journeys(START).journey(EMS_NUMBER)
    b = Journeys(START).journey(EMS_NUMBER)
    assert a == b
    assert a.events and a.events[0].code == "EMA"
    assert Journeys(START).journey(number(7)) != a


def test_default_scenarios_are_mostly_normal_and_never_hostile() -> None:
    counts = Counter(default_scenario(number(i)) for i in range(600))
    assert counts.most_common(1)[0][0] == "normal"
    assert counts["normal"] > 600 * 0.45
    assert "hostile" not in counts
    assert set(counts) == set(SCENARIOS) - {"hostile"}


def test_posting_time_is_within_scenario_window_before_epoch() -> None:
    journeys = Journeys(START)
    for i in range(50):
        j = journeys.journey(number(i))
        assert START - timedelta(days=41) <= j.posted_at <= START
        assert j.events[0].time == j.posted_at


def test_assign_overrides_scenario_and_posting_time() -> None:
    journeys = Journeys(START)
    posted = START - timedelta(days=3)
    j = journeys.assign(EMS_NUMBER, "lost", posted_at=posted)
    assert journeys.scenario_of(EMS_NUMBER) == "lost"
    assert j.posted_at == posted and j.scenario == "lost"
    with pytest.raises(ValueError, match="unknown scenario"):
        journeys.assign(EMS_NUMBER, "teleported")


def test_visible_events_grow_as_time_passes() -> None:
    journeys = Journeys(START)
    j = journeys.assign(EMS_NUMBER, "normal", posted_at=START)
    seen = [len(journeys.visible_events(EMS_NUMBER, START + timedelta(hours=h)))
            for h in range(0, 24 * 12, 6)]
    assert seen[0] == 1
    assert seen == sorted(seen)
    assert seen[-1] == len(j.events)


def test_origin_events_are_in_origin_local_time_and_destination_in_its_own() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "normal", posted_at=START)
    first, last = j.events[0], j.events[-1]
    assert first.time_iso.endswith("+08:00")
    local = START + timedelta(hours=8)
    assert first.ems_time.replace("\u00a0", " ").replace("\u202f", " ") == (
        f"{local:%b} {local.day}, {local.year}, {local.hour % 12 or 12}:{local:%M} {local:%p}")
    assert last.country == j.destination.code != "CN"
    assert last.local_time.utcoffset() == last.time.astimezone(j.destination.tz).utcoffset()
    assert all(e.time_utc.endswith("Z") for e in j.events)


def codes(scenario: str, i: int = 1) -> list[str]:
    j = Journeys(START).assign(number(i), scenario, posted_at=START)
    return [e.code for e in j.events]


def test_normal_journey_follows_upu_order_and_ends_delivered_at_destination() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "normal", posted_at=START)
    c = [e.code for e in j.events]
    assert c[:4] == ["EMA", "EMB", "EMC", "EMD"]
    assert c[-3:] == ["EMG", "EDG", "EMI"]
    assert j.events[-1].sub_status == "Delivered_Other"
    assert j.events[0].location.endswith(", CHINA")
    assert j.events[-1].location.split()[-1].isalnum()  # "BERLIN 10115"-style office
    times = [e.time for e in j.events]
    assert times == sorted(times)
    assert all(e.name == UPU_NAMES[e.code] for e in j.events)


def test_customs_hold_is_a_long_hold_needing_documents() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "customs_hold", posted_at=START)
    c = [e.code for e in j.events]
    held = c.index("EME")
    assert c[held - 1] == "EDB" and c[held + 1] == "EDC"
    assert j.events[held].sub_status == "InTransit_CustomsRequiringInformation"
    assert "documents" in j.events[held].description
    assert j.events[held + 1].time - j.events[held].time >= timedelta(days=7)


def test_failed_delivery_then_pickup() -> None:
    c = codes("failed_delivery_then_pickup")
    assert c[-4:] == ["EDG", "EMH", "EDH", "EMI"]


def test_returned_to_sender_ends_back_in_origin_country() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "returned_to_sender", posted_at=START)
    c = [e.code for e in j.events]
    assert "EDX" in c and c.index("EDX") > c.index("EDH")
    last = j.events[-1]
    assert last.country == "CN" and last.sub_status == "Exception_Returned"
    assert last.key_stage == "Returned"


def test_no_records_for_48_hours_then_normal() -> None:
    journeys = Journeys(START)
    j = journeys.assign(EMS_NUMBER, "no_records_48h", posted_at=START)
    assert journeys.visible_events(EMS_NUMBER, START + timedelta(hours=47, minutes=59)) == []
    shown = journeys.visible_events(EMS_NUMBER, START + timedelta(hours=48))
    assert shown and shown[0].code == "EMA" and shown[0].time == START
    assert j.events[-1].code == "EMI"


def test_long_silence_stops_after_departure_for_weeks() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "long_silence", posted_at=START)
    c = [e.code for e in j.events]
    gap = j.events[c.index("EMD")].time - j.events[c.index("EMC")].time
    assert gap >= timedelta(days=18)
    assert c[-1] == "EMI"


@pytest.mark.parametrize("i", range(6))
def test_lost_stops_forever_mid_way(i: int) -> None:
    c = codes("lost", i)
    assert c[-1] in ("EMC", "EMD") and "EMI" not in c


def test_hostile_journey_carries_every_hostile_string() -> None:
    j = Journeys(START).assign(EMS_NUMBER, "hostile", posted_at=START)
    text = "\n".join(f"{e.name}\n{e.description}\n{e.location}" for e in j.events)
    for s in HOSTILE_STRINGS:
        assert s in text
    assert max(len(e.name) for e in j.events) == 5000


def test_demo_parcels_cover_every_scenario_with_valid_numbers() -> None:
    parcels = demo_parcels()
    assert len(parcels) == 12
    assert {s for _, _, s in parcels} == set(SCENARIOS)
    assert all(is_valid_s10(n) for n, _, _ in parcels)
    assert len({n for n, _, _ in parcels}) == 12


# -- 17TRACK -----------------------------------------------------------------------------------


def test_register_once_then_second_time_is_rejected_as_already_registered(
        sim: SimServer, client: httpx.Client) -> None:
    first = post(client, "register", [{"number": EMS_NUMBER}]).json()
    assert first["code"] == 0
    assert first["data"]["accepted"] == [{"origin": 1, "number": EMS_NUMBER, "carrier": 3013}]
    second = post(client, "register", [{"number": EMS_NUMBER, "carrier": 3013}]).json()
    assert second["data"]["accepted"] == []
    assert second["data"]["rejected"][0]["number"] == EMS_NUMBER
    assert second["data"]["rejected"][0]["error"]["code"] == -18019901
    assert sim.registrations() == {EMS_NUMBER: 1}


def test_more_than_40_numbers_is_a_whole_request_error(client: httpx.Client) -> None:
    r = post(client, "register", [{"number": number(i)} for i in range(41)])
    body = r.json()
    assert body["code"] == -18010014
    assert body["data"]["errors"][0]["code"] == -18010014
    ok = post(client, "register", [{"number": number(i)} for i in range(40)]).json()
    assert len(ok["data"]["accepted"]) == 40


@pytest.mark.parametrize("headers", [{"17token": "wrong"}, {}])
def test_bad_or_missing_key_gets_401_invalid_security_key(sim: SimServer,
                                                          headers: dict[str, str]) -> None:
    r = httpx.post(sim.url_17track + "/register", json=[{"number": EMS_NUMBER}],
                   headers=headers)
    assert r.status_code == 401
    assert r.json() == {"code": -18010002, "data": {"errors": [
        {"code": -18010002, "message": "Invalid security key."}]}}
    assert sim.registrations() == {}


def test_request_log_records_requests_but_never_the_key(sim: SimServer,
                                                        client: httpx.Client) -> None:
    post(client, "register", [{"number": EMS_NUMBER}])
    ems(client, EMS_NUMBER)
    records = sim.requests
    assert [(r.method, r.path, r.status, r.numbers) for r in records] == [
        ("POST", "/track/v2.2/register", 200, (EMS_NUMBER,)),
        ("GET", "/api/publicTracking/track", 200, (EMS_NUMBER,)),
    ]
    assert KEY not in repr(records) and KEY not in repr(sim)
    assert sim.request_count("register") == 1
    sim.reset_log()
    assert sim.requests == []


def test_fourth_request_in_a_second_is_rate_limited_with_retry_after(clock: FakeClock) -> None:
    mono = FakeMonotonic()
    with SimServer(api_key=KEY, clock=clock, monotonic=mono) as sim, \
            httpx.Client(headers={"17token": KEY}) as c:
        statuses = [c.post(sim.url_17track + "/getquota", json=[]).status_code
                    for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        limited = c.post(sim.url_17track + "/getquota", json=[])
        assert limited.status_code == 429 and limited.headers["Retry-After"] == "1"
        mono.now += 1.0
        assert c.post(sim.url_17track + "/getquota", json=[]).status_code == 200


def test_rate_limit_can_omit_retry_after_and_counts_per_window(clock: FakeClock) -> None:
    mono = FakeMonotonic()
    with SimServer(api_key=KEY, clock=clock, monotonic=mono, retry_after_on_429=False) as sim, \
            httpx.Client(headers={"17token": KEY}) as c:
        for _ in range(3):
            assert c.post(sim.url_17track + "/getquota", json=[]).status_code == 200
            mono.now += 0.4  # 3 requests spread over 0.8 s
        r = c.post(sim.url_17track + "/getquota", json=[])  # t=1.2: first one left the window
        assert r.status_code == 200
        r = c.post(sim.url_17track + "/getquota", json=[])
        assert r.status_code == 429 and "Retry-After" not in r.headers


def test_quota_exhaustion_rejects_new_registrations(clock: FakeClock) -> None:
    with SimServer(api_key=KEY, clock=clock, quota=2, rate_limit=0) as sim, \
            httpx.Client(base_url=sim.base_url, headers={"17token": KEY}) as c:
        body = post(c, "register", [{"number": number(i)} for i in range(3)]).json()
        assert [a["number"] for a in body["data"]["accepted"]] == [number(0), number(1)]
        assert body["data"]["rejected"][0]["error"]["code"] == -18019908
        quota = post(c, "getquota", []).json()
        assert quota["code"] == 0
        assert quota["data"]["quota_total"] == 2
        assert quota["data"]["quota_used"] == 2
        assert quota["data"]["quota_remain"] == 0
        assert quota["data"]["today_used"] == 2
        assert set(quota["data"]) == {"quota_total", "quota_used", "quota_remain", "today_used",
                                      "max_track_daily", "free_email_quota",
                                      "free_email_quotaused"}
        # an already registered number costs nothing and is not a quota error
        again = post(c, "register", [{"number": number(0)}]).json()
        assert again["data"]["rejected"][0]["error"]["code"] == -18019901


def test_register_rejects_bad_format_and_undetectable_carrier(client: httpx.Client) -> None:
    body = post(client, "register", [{"number": "AB"}, {"number": "JUNK12345"},
                                     {"number": "JUNK67890", "carrier": 3011}, {}]).json()
    errors = {r["number"]: r["error"]["code"] for r in body["data"]["rejected"]}
    assert errors == {"AB": -18010012, "JUNK12345": -18019903, "": -18010010}
    assert body["data"]["accepted"] == [{"origin": 2, "number": "JUNK67890", "carrier": 3011}]


def test_register_detects_the_issuing_post(client: httpx.Client) -> None:
    body = post(client, "register", [{"number": "RR473124829CN"},
                                     {"number": number(3, "EM", "JP")}]).json()
    assert [a["carrier"] for a in body["data"]["accepted"]] == [3011, 10021]


def test_invalid_json_body_is_a_whole_request_error(client: httpx.Client) -> None:
    r = client.post("/track/v2.2/register", content=b"{not json")
    assert r.json()["code"] == -18010013


def test_gettrackinfo_for_unregistered_number_is_rejected(client: httpx.Client) -> None:
    body = post(client, "gettrackinfo", [{"number": EMS_NUMBER, "carrier": 3013}]).json()
    assert body["data"]["accepted"] == []
    assert body["data"]["rejected"][0]["error"]["code"] == -18019902


def test_gettrackinfo_has_the_documented_shape_with_events_newest_first(
        sim: SimServer, client: httpx.Client) -> None:
    sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START - timedelta(days=20))
    post(client, "register", [{"number": EMS_NUMBER, "carrier": 3013, "tag": "tea"}])
    body = post(client, "gettrackinfo", [{"number": EMS_NUMBER, "carrier": 3013}]).json()
    item = body["data"]["accepted"][0]
    assert item["number"] == EMS_NUMBER and item["carrier"] == 3013 and item["tag"] == "tea"
    info = item["track_info"]
    assert set(info) == {"shipping_info", "latest_status", "latest_event", "time_metrics",
                         "milestone", "misc_info", "tracking"}
    assert info["latest_status"] == {"status": "Delivered", "sub_status": "Delivered_Other",
                                     "sub_status_descr": None}
    assert info["shipping_info"]["shipper_address"]["country"] == "CN"
    stages = [m["key_stage"] for m in info["milestone"]]
    assert stages == ["InfoReceived", "PickedUp", "Departure", "Arrival", "AvailableForPickup",
                      "OutForDelivery", "Delivered", "Returning", "Returned"]
    by_stage = {m["key_stage"]: m for m in info["milestone"]}
    assert by_stage["Returned"]["time_utc"] is None
    assert by_stage["Delivered"]["time_utc"] == info["latest_event"]["time_utc"]
    providers = info["tracking"]["providers"]
    destination = sim.journeys.journey(EMS_NUMBER).destination
    assert [p["provider"]["key"] for p in providers] == [3013, destination.post.key]
    assert providers[0]["provider"]["name"] == "China EMS"
    assert all(e["address"]["country"] == "CN" for e in providers[0]["events"])
    assert all(e["address"]["country"] != "CN" for e in providers[1]["events"])
    for p in providers:
        times = [e["time_utc"] for e in p["events"]]
        assert times == sorted(times, reverse=True) and len(times) >= 3
        assert isinstance(p["events_hash"], int)
        assert set(p["events"][0]) >= {"time_iso", "time_utc", "description", "location",
                                       "stage", "address"}
    assert providers[1]["events"][0]["description"] == "Final delivery"
    assert providers[0]["events"][-1]["description"] == "Posting/Collection"
    assert info["time_metrics"]["days_after_order"] == 20
    assert isinstance(info["tracking"]["providers_hash"], int)


def test_gettrackinfo_is_not_found_while_nothing_is_visible(sim: SimServer,
                                                            client: httpx.Client,
                                                            clock: FakeClock) -> None:
    sim.journeys.assign(EMS_NUMBER, "no_records_48h", posted_at=START)
    post(client, "register", [{"number": EMS_NUMBER}])
    info = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]
    assert info["latest_status"]["status"] == "NotFound"
    assert info["latest_event"] is None
    assert all(p["events"] == [] for p in info["tracking"]["providers"])
    clock.advance(49 * 3600)
    info = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]
    assert info["latest_status"]["status"] == "InTransit"


def test_hashes_are_stable_and_change_exactly_when_events_change(
        sim: SimServer, client: httpx.Client, clock: FakeClock) -> None:
    sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START)
    post(client, "register", [{"number": EMS_NUMBER}])

    def hashes() -> tuple[int, int, int, int]:
        t = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
            "data"]["accepted"][0]["track_info"]["tracking"]
        p = t["providers"]
        return t["providers_hash"], p[0]["events_hash"], p[1]["events_hash"], \
            len(p[0]["events"]) + len(p[1]["events"])

    first = hashes()
    clock.advance(60)  # sync time moves, events do not
    assert hashes() == first
    j = sim.journeys.journey(EMS_NUMBER)
    clock.set(j.events[1].time)
    second = hashes()
    assert second[3] == 2 and second[0] != first[0] and second[1] != first[1]
    assert second[2] == first[2]  # destination leg unchanged


def _track_info(client: httpx.Client) -> dict[str, Any]:
    return post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]


def test_delivery_window_from_departure_until_delivery(sim: SimServer, client: httpx.Client,
                                                       clock: FakeClock) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START)
    post(client, "register", [{"number": EMS_NUMBER}])
    by_code = {e.code: e for e in j.events}
    clock.set(by_code["EMB"].time + timedelta(minutes=1))
    assert _track_info(client)["time_metrics"]["estimated_delivery_date"] == {
        "source": None, "from": None, "to": None}
    clock.set(by_code["EMC"].time + timedelta(minutes=1))
    window = _track_info(client)["time_metrics"]["estimated_delivery_date"]
    start, end = datetime.fromisoformat(window["from"]), datetime.fromisoformat(window["to"])
    assert window["source"] == "17TRACK"
    assert start.utcoffset() == datetime.combine(
        start.date(), datetime.min.time(), j.destination.tz).utcoffset()
    assert by_code["EMC"].time + timedelta(days=2) < start < end <= start + timedelta(days=4)
    clock.set(by_code["EMG"].time + timedelta(minutes=1))  # the estimate does not move
    assert _track_info(client)["time_metrics"]["estimated_delivery_date"] == window
    clock.set(by_code["EMI"].time + timedelta(minutes=1))
    assert _track_info(client)["time_metrics"]["estimated_delivery_date"]["from"] is None


def test_last_mile_number_and_carrier_appear_at_the_hand_over(
        sim: SimServer, client: httpx.Client, clock: FakeClock) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START)
    post(client, "register", [{"number": EMS_NUMBER}])
    arrival = next(e for e in j.events if e.code == "EMD")
    clock.set(arrival.time - timedelta(minutes=1))
    misc = _track_info(client)["misc_info"]
    assert (misc["local_number"], misc["local_provider"], misc["local_key"]) == ("", "", 0)
    clock.set(arrival.time + timedelta(minutes=1))
    info = _track_info(client)
    misc = info["misc_info"]
    assert (misc["local_number"], misc["local_provider"], misc["local_key"]) == (
        EMS_NUMBER, j.destination.post.name, j.destination.post.key)
    assert info["shipping_info"]["recipient_address"]["country"] == j.destination.code
    assert info["shipping_info"]["shipper_address"]["country"] == "CN"


def test_sync_runs_every_few_hours_and_can_fail(sim: SimServer, client: httpx.Client,
                                                clock: FakeClock) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START - timedelta(days=2))
    post(client, "register", [{"number": EMS_NUMBER}])
    legs = _track_info(client)["tracking"]["providers"]
    synced = datetime.fromisoformat(legs[0]["latest_sync_time"])
    assert [leg["latest_sync_status"] for leg in legs] == ["Success", "Success"]
    assert START - timedelta(hours=4) < synced <= START
    assert synced.utcoffset() == timedelta(0)
    sim.track17.fail_sync(EMS_NUMBER, START)
    clock.set(START + timedelta(days=3))
    info = _track_info(client)
    legs = info["tracking"]["providers"]
    assert [leg["latest_sync_status"] for leg in legs] == ["Failure", "Failure"]
    assert datetime.fromisoformat(legs[1]["latest_sync_time"]) == synced
    newest = max(e["time_utc"] for leg in legs for e in leg["events"])
    assert newest == max(e.time_utc for e in j.visible(START))  # nothing newer gets through
    sim.track17.fail_sync(EMS_NUMBER, None)
    legs = _track_info(client)["tracking"]["providers"]
    assert legs[0]["latest_sync_status"] == "Success"


def test_lost_parcel_becomes_expired_after_30_days_of_silence(sim: SimServer,
                                                              client: httpx.Client) -> None:
    sim.journeys.assign(EMS_NUMBER, "lost", posted_at=START - timedelta(days=45))
    post(client, "register", [{"number": EMS_NUMBER}])
    info = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]
    assert info["latest_status"]["status"] == "Expired"


def test_customs_hold_status_requires_information(sim: SimServer, client: httpx.Client,
                                                  clock: FakeClock) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "customs_hold", posted_at=START)
    post(client, "register", [{"number": EMS_NUMBER}])
    held = next(e for e in j.events if e.code == "EME")
    clock.set(held.time + timedelta(days=2))
    info = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]
    assert info["latest_status"]["sub_status"] == "InTransit_CustomsRequiringInformation"


def test_stop_retrack_delete_lifecycle(sim: SimServer, client: httpx.Client) -> None:
    item = [{"number": EMS_NUMBER, "carrier": 3013}]
    post(client, "register", item)

    def code(endpoint: str) -> int:
        body = post(client, endpoint, item).json()["data"]
        return body["rejected"][0]["error"]["code"] if body["rejected"] else 0

    assert code("retrack") == -18019904
    assert code("stoptrack") == 0
    assert code("stoptrack") == -18019906
    assert post(client, "gettrackinfo", item).json()["data"]["accepted"]  # still queryable
    assert code("retrack") == 0
    assert code("stoptrack") == 0
    assert code("retrack") == -18019905
    assert code("deletetrack") == 0
    assert code("gettrackinfo") == -18019902
    assert post(client, "register", item).json()["data"]["accepted"]
    assert sim.registrations() == {EMS_NUMBER: 2}
    assert sim.track17.quota_used == 2


def test_time_scale_runs_simulated_days_per_real_minute(clock: FakeClock) -> None:
    with SimServer(clock=clock, time_scale=1440, rate_limit=0) as sim:
        clock.advance(60)
        assert sim.sim_now() - sim.epoch == timedelta(days=1)


async def test_usable_from_async_code(sim: SimServer) -> None:
    async with httpx.AsyncClient(headers={"17token": KEY, **UA}) as c:
        r = await c.post(sim.url_17track + "/register", json=[{"number": EMS_NUMBER}])
        page = await c.get(sim.url_ems, params={"itemId": EMS_NUMBER})
    assert r.json()["data"]["accepted"] and page.status_code == 200


# -- EMS Cooperative HTML ----------------------------------------------------------------------


def test_ems_page_lists_events_oldest_first_in_the_documented_table(
        sim: SimServer, client: httpx.Client) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START - timedelta(days=30))
    r = ems(client, EMS_NUMBER)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    page = parse(r.text)
    # Spec §2, live shape: the id on a wrapper div, a plain table inside, the real headers.
    assert page.wrapper_ids == [f"table-{EMS_NUMBER}"] and page.wrapper_tags == ["div"]
    assert page.table_ids == ["None"]
    assert "result-table hidden" in page.classes and "tbody" in page.classes
    assert page.headers == ["Date and time", "Status of Item", "Location"]
    assert page.rows == [[e.ems_time, e.label, e.ems_location] for e in j.events]
    assert page.rows[0][1] == "Posted" and page.rows[-1][1] == "Delivered"
    assert all(row[2] == row[2].upper() and not row[2].endswith(", CHINA") for row in page.rows)
    assert re.fullmatch(r"[A-Z][a-z]{2} \d{1,2}, \d{4}, \d{1,2}:\d{2}[ \u00a0\u202f][AP]M",
                        page.rows[0][0])
    assert f'<input id="publicTrackingView.itemId" name="itemId" value="{EMS_NUMBER}">' in r.text


def test_ems_page_grows_as_the_clock_advances(sim: SimServer, client: httpx.Client,
                                             clock: FakeClock) -> None:
    sim.journeys.assign(EMS_NUMBER, "normal", posted_at=START)
    before = len(parse(ems(client, EMS_NUMBER).text).rows)
    clock.advance(3 * 86400)
    after = len(parse(ems(client, EMS_NUMBER).text).rows)
    assert before == 1 and after > before


def test_ems_page_says_no_results_when_nothing_is_visible(sim: SimServer,
                                                          client: httpx.Client) -> None:
    sim.journeys.assign(EMS_NUMBER, "no_records_48h", posted_at=START)
    text = ems(client, EMS_NUMBER).text
    assert 'class="no-results-found"' in text and "There were no results found." in text
    assert f'id="table-{EMS_NUMBER}"' in text and "result-table-row" not in text


def test_ems_page_refuses_non_ems_and_invalid_input(client: httpx.Client) -> None:
    not_ems = ems(client, "RR473124829CN")
    assert not_ems.status_code == 200
    assert '<ul class="error">' in not_ems.text
    assert "Tracking number ''RR473124829CN'' does not denote an EMS item." in not_ems.text
    assert parse(not_ems.text).wrapper_ids == ["table-RR473124829CN"]
    for bad in ("EE123456784CN", "hello<script>", ""):
        r = ems(client, bad)
        assert r.status_code == 200 and '<ul class="error">' in r.text
        assert "does not denote" not in r.text and "<script>" not in r.text


def test_ems_requires_a_browser_user_agent(sim: SimServer) -> None:
    r = httpx.get(sim.url_ems, params={"itemId": EMS_NUMBER},
                  headers={"User-Agent": "Python-urllib/3.11"})
    assert r.status_code == 403
    r = httpx.get(sim.url_ems, params={"itemId": EMS_NUMBER}, headers=UA)
    assert r.status_code == 200


def test_hostile_strings_arrive_intact_through_both_protocols(sim: SimServer,
                                                              client: httpx.Client) -> None:
    j = sim.journeys.assign(EMS_NUMBER, "hostile", posted_at=START - timedelta(days=30))
    page = parse(ems(client, EMS_NUMBER).text)
    assert len(page.rows) == len(j.events)  # markup in the text did not break the table
    cells = "\n".join(c for row in page.rows for c in row)
    post(client, "register", [{"number": EMS_NUMBER}])
    info = post(client, "gettrackinfo", [{"number": EMS_NUMBER}]).json()[
        "data"]["accepted"][0]["track_info"]
    texts = "\n".join(f"{e['description']}\n{e['location']}"
                      for p in info["tracking"]["providers"] for e in p["events"])
    for s in HOSTILE_STRINGS:
        assert s in cells
        assert s in texts


# -- HTTP/1.1 behaviour ------------------------------------------------------------------------


def raw_exchange(sim: SimServer, payload: bytes) -> bytes:
    with socket.create_connection((sim.host, sim.port), timeout=2) as s:
        s.sendall(payload)
        chunks = []
        while data := s.recv(65536):
            chunks.append(data)
    return b"".join(chunks)


def test_keep_alive_serves_pipelined_requests_then_honours_connection_close(
        sim: SimServer) -> None:
    get = (f"GET /api/publicTracking/track?itemId={EMS_NUMBER} HTTP/1.1\r\nHost: x\r\n"
           "User-Agent: Mozilla/5.0\r\n").encode()
    raw = raw_exchange(sim, get + b"\r\n" + get + b"Connection: close\r\n\r\n")
    assert raw.count(b"HTTP/1.1 200 OK") == 2
    assert raw.count(b"Connection: keep-alive") == 1 and raw.count(b"Connection: close") == 1


def test_http10_and_chunked_request_bodies(sim: SimServer) -> None:
    raw = raw_exchange(sim, b"GET / HTTP/1.0\r\n\r\n")
    assert raw.startswith(b"HTTP/1.1 200 OK") and b"Connection: close" in raw
    body = json.dumps([{"number": EMS_NUMBER}]).encode()
    chunked = (b"POST /track/v2.2/register HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
               + f"17token: {KEY}\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
               + f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n")
    raw = raw_exchange(sim, chunked)
    assert b'"accepted": [{"origin": 1' in raw
    assert raw_exchange(sim, b"NONSENSE\r\n\r\n").startswith(b"HTTP/1.1 400")


def test_httpx_reuses_one_connection(sim: SimServer, client: httpx.Client) -> None:
    ports = set()
    for _ in range(3):
        r = client.get("/")
        ports.add(r.extensions["network_stream"].get_extra_info("client_addr"))
    assert len(ports) == 1


# -- faults ------------------------------------------------------------------------------------


def test_truncated_body_makes_httpx_raise(sim: SimServer, client: httpx.Client) -> None:
    sim.faults.truncate_next(1)
    with pytest.raises(httpx.RemoteProtocolError):
        ems(client, EMS_NUMBER)
    assert ems(client, EMS_NUMBER).status_code == 200


def test_connection_reset_makes_httpx_raise(sim: SimServer, client: httpx.Client) -> None:
    sim.faults.reset_next(1, protocol="17track")
    with pytest.raises(httpx.TransportError):
        post(client, "getquota", [])
    assert sim.requests[-1].status == 0 and sim.requests[-1].fault == "reset"
    assert post(client, "getquota", []).status_code == 200


def test_trickled_body_arrives_whole_in_many_pieces(sim: SimServer,
                                                     client: httpx.Client) -> None:
    sim.faults.trickle(chunk_size=32, delay=0.01, n=1)
    expected = ems(client, "RR473124829CN").text
    sim.faults.trickle(chunk_size=32, delay=0.01, n=1)
    with client.stream("GET", "/api/publicTracking/track",
                       params={"itemId": "RR473124829CN"}) as r:
        pieces = list(r.iter_raw())
    assert b"".join(pieces).decode() == expected
    assert len(pieces) >= 3


def test_trickle_slower_than_the_read_timeout_times_out(sim: SimServer) -> None:
    sim.faults.trickle(chunk_size=8, delay=0.3, n=1)
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(sim.url_ems, params={"itemId": EMS_NUMBER}, headers=UA,
                  timeout=httpx.Timeout(2.0, read=0.03))


def test_html_gateway_page_instead_of_json(sim: SimServer, client: httpx.Client) -> None:
    sim.faults.html_error_next(1, status=200, protocol="17track")
    r = post(client, "getquota", [])
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "502 Bad Gateway" in r.text
    with pytest.raises(json.JSONDecodeError):
        r.json()
    sim.faults.html_error_next(1)
    assert post(client, "getquota", []).status_code == 502
    assert post(client, "getquota", []).json()["code"] == 0


@pytest.mark.parametrize("status", [500, 503, 404, 410, 403])
def test_fixed_status_for_the_next_requests(sim: SimServer, client: httpx.Client,
                                            status: int) -> None:
    sim.faults.fail_next(2, status, protocol="ems")
    assert [ems(client, EMS_NUMBER).status_code for _ in range(3)] == [status, status, 200]
    assert sim.registrations() == {}


def test_fault_scoped_to_one_protocol_leaves_the_other_alone(sim: SimServer,
                                                             client: httpx.Client) -> None:
    sim.faults.fail_next(1, 503, protocol="ems")
    assert post(client, "register", [{"number": EMS_NUMBER}]).status_code == 200
    assert ems(client, EMS_NUMBER).status_code == 503
    assert sim.registrations() == {EMS_NUMBER: 1}


def test_burst_of_429_with_seconds_date_or_no_retry_after(sim: SimServer, client: httpx.Client,
                                                          clock: FakeClock) -> None:
    sim.faults.burst_429(2, retry_after=7)
    r1, r2, r3 = (ems(client, EMS_NUMBER) for _ in range(3))
    assert (r1.status_code, r2.status_code, r3.status_code) == (429, 429, 200)
    assert r1.headers["Retry-After"] == "7"
    sim.faults.burst_429(1, retry_after=120, http_date=True)
    when = parsedate_to_datetime(ems(client, EMS_NUMBER).headers["Retry-After"])
    assert when == clock.now() + timedelta(seconds=120)
    sim.faults.burst_429(1, retry_after=None)
    r = ems(client, EMS_NUMBER)
    assert r.status_code == 429 and "Retry-After" not in r.headers


def test_error_rate_is_seeded_and_repeatable() -> None:
    def run(seed: int) -> list[int | None]:
        faults = Faults(seed)
        faults.set_error_rate(0.5)
        return [faults.decide("ems").status for _ in range(40)]

    a = run(3)
    assert a == run(3)
    assert a != run(4)
    assert {500, 503, None} == set(a)


def test_error_rate_is_observable_from_a_client(sim: SimServer, client: httpx.Client) -> None:
    sim.faults.set_error_rate(1.0, statuses=(503,))
    assert ems(client, EMS_NUMBER).status_code == 503
    sim.faults.set_error_rate(0.0)
    assert ems(client, EMS_NUMBER).status_code == 200


def test_latency_delays_the_answer(sim: SimServer, client: httpx.Client) -> None:
    ems(client, EMS_NUMBER)
    sim.faults.set_latency(0.08, protocol="ems")
    t0 = time.perf_counter()
    ems(client, EMS_NUMBER)
    assert time.perf_counter() - t0 >= 0.08
    sim.faults.clear()
    t0 = time.perf_counter()
    ems(client, EMS_NUMBER)
    assert time.perf_counter() - t0 < 0.08


def test_server_down_refuses_connections_then_comes_back(sim: SimServer) -> None:
    port = sim.port
    sim.faults.set_down(True)
    with pytest.raises(httpx.ConnectError):
        httpx.get(sim.url_ems, params={"itemId": EMS_NUMBER}, headers=UA)
    sim.faults.set_down(False)
    assert sim.port == port
    assert httpx.get(sim.url_ems, params={"itemId": EMS_NUMBER}, headers=UA).status_code == 200


def test_one_protocol_down_closes_without_answer(sim: SimServer, client: httpx.Client) -> None:
    sim.faults.set_down(True, protocol="ems")
    with pytest.raises(httpx.RemoteProtocolError):
        ems(client, EMS_NUMBER)
    assert post(client, "getquota", []).status_code == 200
    sim.faults.clear("ems")
    assert ems(client, EMS_NUMBER).status_code == 200


# -- command line ------------------------------------------------------------------------------


def test_command_prints_urls_and_demo_numbers() -> None:
    root = Path(__file__).resolve().parents[2]
    with subprocess.Popen([sys.executable, "-m", "emstui.sim", "--demo-numbers"],
                          stdout=subprocess.PIPE, text=True, cwd=root) as proc:
        try:
            assert proc.stdout is not None
            lines = [proc.stdout.readline() for _ in range(4 + 12)]
            base = lines[0].split()[1]
            assert lines[1].split() == ["17track", base + "/track/v2.2"]
            assert lines[2].split() == ["ems", base + "/api/publicTracking/track"]
            numbers = [line.split()[0] for line in lines[4:]]
            assert numbers == [n for n, _, _ in demo_parcels()]
            r = httpx.get(base + "/api/publicTracking/track",
                          params={"itemId": numbers[0]}, headers=UA)
            assert r.status_code == 200 and "result-table-row" in r.text
        finally:
            proc.send_signal(signal.SIGINT)
            assert proc.wait(timeout=5) == 130


def test_ems_tracker_wording_dates_and_locations_follow_the_live_page() -> None:

    journeys = Journeys(START)
    spaces = set()
    for i in range(1, 30):
        j = journeys.assign(number(i), "normal", posted_at=START)
        assert all(e.label == EMS_LABELS[e.code] for e in j.events)
        assert all(e.ems_location == e.ems_location.upper() for e in j.events)
        assert not any(e.ems_location.endswith(f", {j.origin.name}") for e in j.events)
        spaces |= {e.ems_time[-3] for e in j.events}
    # the plain, no-break and narrow no-break spaces before AM/PM all occur
    assert spaces == {" ", "\u00a0", "\u202f"}
