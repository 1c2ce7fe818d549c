"""`emstui --once`: one headless refresh against the simulator over loopback, as text or JSON."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import pytest

from emstui.cli.main import run
from emstui.cli.once import run_once
from emstui.config import load_config, paths
from emstui.core.clock import FakeClock
from emstui.core.s10 import make_number
from emstui.present.csvexport import COLUMNS
from emstui.present.official import OPERATORS
from emstui.sim.faults import Decision
from emstui.sim.journeys import HOSTILE_STRINGS
from emstui.sim.server import SimServer
from emstui.store import Store

KEY = "sim-secret-key"
DELIVERED = make_number("EE", "12345678", "CN")
CUSTOMS = make_number("EE", "00000001", "CN")
UNSCANNED = make_number("EE", "00000002", "CN")
MOVING = make_number("EE", "00000003", "CN")
REGISTERED = make_number("RR", "00000004", "DE")  # not EMS: only 17TRACK tracks it

PARCEL_KEYS = {"number", "label", "status", "stage", "provider", "changed", "last_event",
               "events", "error", "next_check", "eta", "destination", "destination_operator"}
EVENT_KEYS = {"time", "time_local", "time_utc", "location", "description", "provider", "code",
              "sources"}
SGR_RE = re.compile(r"\x1b\[[0-9;]*m")
UNSAFE = ("\x1b", "\x00", "\x07", "\x7f", "\x9b", "\x9d", "\u202e")


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self) -> dict[str, Any]:
        return json.loads(self.out)

    def parcels(self) -> dict[str, dict[str, Any]]:
        return {p["number"]: p for p in self.json()["parcels"]}


class TtyStringIO(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    """The simulator on loopback, on the same fake clock as the refresh (nothing sleeps)."""
    with SimServer(api_key=KEY, quota=1000, rate_limit=0, clock=clock) as server:
        yield server


@pytest.fixture
def config(isolated_home: Path) -> Path:
    return Path(os.environ["EMSTUI_CONFIG"])


def write_config(path: Path, sim: SimServer | None, parcels: Sequence[dict[str, Any] | str], *,
                 provider: str = "ems", ems_url: str | None = None) -> Path:
    """A config whose providers point at the simulator: EMS only, or 17TRACK (key) then EMS."""
    ems_url = ems_url or (sim.url_ems if sim else "")
    lines = []
    if provider == "ems":
        lines += ['[providers]', 'order = ["ems"]', '', '[providers.ems]',
                  f'base_url = "{ems_url}"', '']
    else:
        assert sim is not None
        lines += ['[providers]', 'order = ["17track", "ems"]', '', '[providers.17track]',
                  f'api_key = "{KEY}"', f'base_url = "{sim.url_17track}"', '',
                  '[providers.ems]', f'base_url = "{ems_url}"', '']
    for parcel in parcels:
        entry = {"number": parcel} if isinstance(parcel, str) else parcel
        lines.append("[[parcels]]")
        lines += [f"{key} = {json.dumps(value)}" for key, value in entry.items()]
        lines.append("")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)
    return path


def once(config: Path, clock: FakeClock, **options: bool) -> Result:
    out, err = StringIO(), StringIO()
    code = run_once(config, out=out, err=err, clock=clock, **options)
    return Result(code, out.getvalue(), err.getvalue())


def assign_last_visible(sim: SimServer, number: str, scenario: str, code: str,
                        *, next_in: timedelta | None = None) -> None:
    """Post `number` so that the event `code` is the newest one visible at the sim's now.

    With `next_in`, the event after it becomes visible that much later instead.
    """
    probe = sim.journeys.assign(number, scenario, posted_at=sim.sim_now())
    index = next(i for i, e in enumerate(probe.events) if e.code == code)
    if next_in is not None:
        offset = probe.events[index + 1].offset - next_in
    else:
        offset = probe.events[index].offset + timedelta(minutes=30)
    sim.journeys.assign(number, scenario, posted_at=sim.sim_now() - offset)


def assign_three(sim: SimServer) -> None:
    """A delivered parcel (posted 20 days ago), a customs hold and a not-yet-scanned one."""
    sim.journeys.assign(DELIVERED, "normal", posted_at=sim.sim_now() - timedelta(days=20))
    assign_last_visible(sim, CUSTOMS, "customs_hold", "EME")
    sim.journeys.assign(UNSCANNED, "no_records_48h", posted_at=sim.sim_now() - timedelta(hours=1))


def requested(sim: SimServer) -> list[str]:
    """Numbers the simulator was asked to track, in order (17TRACK register calls excluded)."""
    return [n for r in sim.requests if not r.path.endswith("/register") for n in r.numbers]


# ---- what --once reports ------------------------------------------------------------------------


@pytest.mark.parametrize("provider", ["ems", "17track"])
def test_once_json_reports_every_parcel_with_its_status(
        sim: SimServer, clock: FakeClock, config: Path, provider: str) -> None:
    assign_three(sim)
    write_config(config, sim, [{"number": DELIVERED, "label": "Tea"}, CUSTOMS, UNSCANNED],
                 provider=provider)
    result = once(config, clock, as_json=True)
    assert result.code == 0, result.err
    parcels = result.parcels()
    assert list(parcels) == [DELIVERED, CUSTOMS, UNSCANNED]
    assert {n: (p["status"], p["stage"]) for n, p in parcels.items()} == {
        DELIVERED: ("delivered", "delivered"),
        CUSTOMS: ("in_customs", "customs"),
        UNSCANNED: ("not_found", "none"),
    }
    assert {p["provider"] for p in parcels.values()} == {provider}
    assert parcels[DELIVERED]["label"] == "Tea"
    assert all(p["changed"] and p["error"] is None for p in parcels.values())
    assert parcels[UNSCANNED]["events"] == [] and parcels[UNSCANNED]["last_event"] is None
    held = parcels[CUSTOMS]["last_event"]
    assert held["code"] == "EME"
    assert held["description"].startswith(
        "Held by import customs" if provider == "ems" else "Item held by import Customs")
    assert parcels[DELIVERED]["last_event"]["code"] == "EMI"
    assert parcels[DELIVERED]["next_check"] is None  # delivered: polling stops by default
    assert datetime.fromisoformat(parcels[CUSTOMS]["next_check"]) > clock.now()
    assert result.json()["providers"][provider]["state"] == "ok"


@pytest.mark.parametrize("provider", ["ems", "17track"])
def test_once_json_has_exactly_the_documented_keys_and_events_newest_first(
        sim: SimServer, clock: FakeClock, config: Path, provider: str) -> None:
    sim.journeys.assign(DELIVERED, "normal", posted_at=sim.sim_now() - timedelta(days=20))
    write_config(config, sim, [DELIVERED], provider=provider)
    result = once(config, clock, as_json=True)
    document = result.json()
    assert set(document) == {"generated_at", "providers", "parcels"}
    assert datetime.fromisoformat(document["generated_at"]).tzinfo is not None
    assert set(document["providers"][provider]) == {"state", "message", "until"}
    (parcel,) = document["parcels"]
    assert set(parcel) == PARCEL_KEYS
    assert set(parcel["last_event"]) == EVENT_KEYS
    assert all(set(event) == EVENT_KEYS for event in parcel["events"])
    journey = sim.journeys.visible_events(DELIVERED, sim.sim_now())
    assert [e["code"] for e in parcel["events"]] == [e.code for e in reversed(journey)]
    assert parcel["last_event"] == parcel["events"][0]
    if provider == "17track":  # 17TRACK gives offsets, so the UTC instant is known
        assert parcel["last_event"]["location"] == journey[-1].location
        assert parcel["last_event"]["time_utc"] == journey[-1].time.isoformat()
        assert parcel["last_event"]["time_local"] == journey[-1].time_iso
        assert parcel["destination"] == sim.journeys.journey(DELIVERED).destination.code
        assert parcel["destination_operator"] == \
            OPERATORS[parcel["destination"]].name  # type: ignore[index]
    else:  # the EMS tracker gives the scan site's wall time only
        assert parcel["last_event"]["location"] == journey[-1].ems_location
        assert parcel["last_event"]["time"] == " ".join(journey[-1].ems_time.split())
        assert parcel["last_event"]["time_utc"] is None
        assert parcel["last_event"]["time_local"] == \
            journey[-1].local_time.replace(tzinfo=None).isoformat()
        assert parcel["destination"] is None and parcel["destination_operator"] is None
    assert parcel["eta"] is None  # delivered: 17TRACK no longer estimates


@pytest.mark.parametrize("provider", ["ems", "17track"])
def test_once_json_shows_the_eta_window_and_destination_from_17track(
        sim: SimServer, clock: FakeClock, config: Path, provider: str) -> None:
    assign_last_visible(sim, MOVING, "normal", "EMD")  # departed, arrived at destination
    journey = sim.journeys.journey(MOVING)
    write_config(config, sim, [MOVING], provider=provider)
    result = once(config, clock, as_json=True)
    assert result.code == 0, result.err
    parcel = result.parcels()[MOVING]
    if provider == "ems":  # the EMS tracker knows neither
        assert parcel["eta"] is None and parcel["destination"] is None
        return
    assert parcel["destination"] == journey.destination.code
    assert set(parcel["eta"]) == {"from", "to", "source", "basis", "samples", "overdue"}
    start = datetime.fromisoformat(parcel["eta"]["from"])
    end = datetime.fromisoformat(parcel["eta"]["to"])
    departed = next(e for e in journey.events if e.code == "EMC")
    # A window of local midnights at the destination, a few days after departure.
    zone = journey.destination.tz
    assert start.utcoffset() == datetime.combine(start.date(), time(0), zone).utcoffset()
    assert (start.hour, start.minute, end.hour, end.minute) == (0, 0, 0, 0)
    assert timedelta(days=2) <= end - start <= timedelta(days=4, hours=1)
    assert departed.time < start < departed.time + timedelta(days=8)
    assert parcel["eta"]["source"] == "17TRACK"
    for event in parcel["events"]:
        assert datetime.fromisoformat(event["time_local"]).tzinfo is not None
        assert datetime.fromisoformat(event["time_local"]) == \
            datetime.fromisoformat(event["time_utc"])


def test_once_through_the_cli_prints_one_text_line_per_parcel(
        sim: SimServer, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [{"number": DELIVERED, "label": "Tea"}, CUSTOMS, UNSCANNED],
                 provider="17track")
    out, err = StringIO(), StringIO()
    code = run(["--once"], out=out, err=err)
    assert code == 0, err.getvalue()
    lines = out.getvalue().splitlines()
    assert [line.split()[0] for line in lines] == ["delivered", "in_customs", "not_found"]
    assert "Tea" in lines[0] and DELIVERED in lines[0] and "Final delivery" in lines[0]
    assert CUSTOMS in lines[1] and "Item held by import Customs" in lines[1]
    assert UNSCANNED in lines[2]
    assert KEY not in out.getvalue() + err.getvalue()


def test_once_without_a_config_file_exits_2_and_says_where_it_looked(
        clock: FakeClock, config: Path) -> None:
    result = once(config, clock)
    assert result.code == 2
    assert str(config) in result.err and "emstui add" in result.err
    assert result.out == ""


def test_once_with_a_broken_config_exits_2_naming_the_line(config: Path) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[[parcels]]\nnumber = "EE123456786CN"\n', encoding="utf-8")
    out, err = StringIO(), StringIO()
    assert run(["--once"], out=out, err=err) == 2
    assert f"{config}:2" in err.getvalue() and "implies 5" in err.getvalue()
    assert out.getvalue() == ""


# ---- provider failures --------------------------------------------------------------------------


def test_simulator_down_exits_1_keeps_printing_parcels_and_says_when_it_retries(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [{"number": DELIVERED, "label": "Tea"}, CUSTOMS])
    assert once(config, clock).code == 0
    sim.faults.set_down(True)
    clock.advance(60)
    result = once(config, clock, include_all=True)
    assert result.code == 1
    lines = result.out.splitlines()
    assert [line.split()[0] for line in lines] == ["delivered", "in_customs"]
    assert all("cannot connect" in line for line in lines)
    (problem,) = result.err.splitlines()
    assert problem.startswith("emstui: ems: offline:")
    retry_at = datetime.fromisoformat(problem.rsplit("next attempt at ", 1)[1])
    assert retry_at > clock.now()


def test_simulator_down_json_is_still_valid_with_an_error_per_parcel(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, CUSTOMS])
    sim.faults.set_down(True)
    result = once(config, clock, as_json=True)
    assert result.code == 1
    parcels = result.parcels()
    assert list(parcels) == [DELIVERED, CUSTOMS]
    assert all(p["status"] == "unknown" and p["events"] == [] for p in parcels.values())
    assert all(p["error"]["kind"] == "provider" and "ems" in p["error"]["message"]
               for p in parcels.values())
    health = result.json()["providers"]["ems"]
    assert health["state"] == "offline"
    assert datetime.fromisoformat(health["until"]) > clock.now()
    assert "ems" in result.err and "next attempt at" in result.err


def test_17track_failing_with_ems_fallback_exits_0_but_names_the_failed_provider(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED], provider="17track")
    sim.faults.set_error_rate(1.0, statuses=(503,), protocol="17track")
    result = once(config, clock, as_json=True)
    assert result.code == 0
    assert result.parcels()[DELIVERED]["provider"] == "ems"
    assert result.err.startswith("emstui: 17track: backoff: server error (HTTP 503)")
    assert "next attempt at" in result.err


def test_17track_failing_for_a_number_only_it_tracks_exits_1(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [REGISTERED], provider="17track")
    sim.faults.set_error_rate(1.0, statuses=(503,), protocol="17track")
    result = once(config, clock)
    assert result.code == 1
    assert REGISTERED in result.out and "17track" in result.out
    assert "emstui: 17track: backoff:" in result.err and "next attempt at" in result.err
    assert KEY not in result.out + result.err


# ---- --changed ----------------------------------------------------------------------------------


def test_changed_prints_nothing_when_nothing_changed_then_only_the_parcel_that_moved(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_last_visible(sim, MOVING, "normal", "EMC", next_in=timedelta(minutes=30))
    assign_last_visible(sim, CUSTOMS, "customs_hold", "EME")
    write_config(config, sim, [{"number": MOVING, "label": "Shoes"}, CUSTOMS])

    first = once(config, clock, changed_only=True)
    assert first.code == 0
    assert [line.split()[0] for line in first.out.splitlines()] == ["in_transit", "in_customs"]

    clock.advance(60)
    before = len(requested(sim))
    second = once(config, clock, changed_only=True, include_all=True)
    assert len(requested(sim)) == before + 2  # both were fetched again ...
    assert (second.code, second.out, second.err) == (0, "", "")  # ... and nothing was new

    clock.advance(3 * 3600)  # MOVING arrives abroad; CUSTOMS is still held
    third = once(config, clock, changed_only=True)
    assert third.code == 0
    (line,) = third.out.splitlines()
    assert MOVING in line and "Shoes" in line
    newest = sim.journeys.visible_events(MOVING, sim.sim_now())[-1]
    assert newest.code not in ("EMA", "EMB", "EMC")  # it did move on
    assert newest.label in line  # what the EMS tracker prints, not the UPU name
    assert sorted(requested(sim)[before + 2:]) == sorted([MOVING, CUSTOMS])

    fourth = once(config, clock, changed_only=True, as_json=True)
    assert fourth.code == 0 and fourth.json()["parcels"] == []


def test_changed_json_lists_only_changed_parcels_and_plain_json_flags_them(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_last_visible(sim, MOVING, "normal", "EMC", next_in=timedelta(minutes=30))
    assign_last_visible(sim, CUSTOMS, "customs_hold", "EME")
    write_config(config, sim, [MOVING, CUSTOMS])
    assert once(config, clock).code == 0
    clock.advance(3 * 3600)
    state = Store(paths.store_path())
    with state:
        before = state.get_meta("once.last_run")
    everything = once(config, clock, as_json=True)
    assert {n: p["changed"] for n, p in everything.parcels().items()} == {
        MOVING: True, CUSTOMS: False}
    with Store(paths.store_path()) as store:
        assert store.get_meta("once.last_run") != before
    # The plain run above saw MOVING's news, so a --changed run now has nothing to say.
    clock.advance(60)
    assert once(config, clock, changed_only=True, as_json=True).json()["parcels"] == []


def test_changed_reports_news_another_front_end_fetched_since_the_last_run(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_last_visible(sim, MOVING, "normal", "EMC", next_in=timedelta(minutes=30))
    write_config(config, sim, [MOVING])
    assert once(config, clock, changed_only=True).out != ""
    clock.advance(3 * 3600)
    assert once(config, clock, include_all=True).code == 0  # e.g. the TUI, or a plain --once
    # Both runs share the store: the news was already reported by the run that fetched it.
    clock.advance(60)
    assert once(config, clock, changed_only=True).out == ""


# ---- text output --------------------------------------------------------------------------------


def test_text_has_colour_only_on_a_terminal_and_never_with_no_color(
        sim: SimServer, clock: FakeClock, config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, CUSTOMS])
    plain = once(config, clock, include_all=True)
    assert "\x1b" not in plain.out and plain.out.startswith("delivered")

    tty_out = TtyStringIO()
    assert run_once(config, out=tty_out, err=StringIO(), clock=clock, include_all=True) == 0
    assert tty_out.getvalue().startswith("\x1b[32mdelivered")

    monkeypatch.setenv("NO_COLOR", "1")
    tty_out = TtyStringIO()
    assert run_once(config, out=tty_out, err=StringIO(), clock=clock, include_all=True) == 0
    assert "\x1b" not in tty_out.getvalue()
    assert tty_out.getvalue() == plain.out


def test_hostile_carrier_text_is_printed_without_escape_sequences(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    numbers = {"EMC": make_number("EE", "00000010", "CN"),  # CSI and OSC 8 in the name
               "EMD": make_number("EE", "00000011", "CN"),  # bidi override and HTML
               "EDC": make_number("EE", "00000012", "CN")}  # NUL and DEL in the location
    for code, number in numbers.items():
        assign_last_visible(sim, number, "hostile", code)
    write_config(config, sim, [{"number": n, "label": "Hostile\u001b[31m\u0007 shop"}
                               for n in numbers.values()])
    text = once(config, clock, include_all=True)
    coloured = TtyStringIO()
    run_once(config, out=coloured, err=StringIO(), clock=clock, include_all=True)
    as_json = once(config, clock, include_all=True, as_json=True)

    for output in (text.out, SGR_RE.sub("", coloured.getvalue()), text.err):
        assert not [c for c in UNSAFE if c in output], repr(output)
    lines = text.out.splitlines()
    assert len(lines) == 3 and all("Hostile shop" in line for line in lines)
    assert "RED link" in lines[0]  # the visible text survives, the escapes do not
    assert "EDISREVER" in lines[1]
    assert "NULDELEND" in lines[2]
    for parcel in as_json.json()["parcels"]:
        strings = [v for e in parcel["events"] for v in e.values() if isinstance(v, str)]
        assert strings and not [s for s in strings for c in UNSAFE if c in s]
        assert not any(h in s for s in strings for h in HOSTILE_STRINGS[2:6])


def test_once_json_facts_from_a_hostile_17track_answer_are_inert(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_last_visible(sim, MOVING, "hostile", "EDC")  # past departure: a window is sent
    write_config(config, sim, [MOVING], provider="17track")
    result = once(config, clock, as_json=True)
    assert result.code == 0, result.err
    parcel = result.parcels()[MOVING]
    assert parcel["eta"]["source"] == "NULDELEND"
    assert parcel["destination"] == sim.journeys.journey(MOVING).destination.code
    strings = [parcel["eta"]["source"], parcel["destination"]]
    strings += [v for e in parcel["events"] for v in e.values() if isinstance(v, str)]
    assert not [s for s in strings for c in UNSAFE if c in s]
    assert all(len(s) <= 500 for s in strings)


# ---- which parcels are refreshed ----------------------------------------------------------------


def test_all_refreshes_parcels_that_are_not_due(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, CUSTOMS])
    assert once(config, clock).code == 0
    assert sorted(requested(sim)) == sorted([DELIVERED, CUSTOMS])

    clock.advance(60)
    not_due = once(config, clock)
    assert not_due.code == 0
    assert len(requested(sim)) == 2  # nothing was due
    assert [line.split()[0] for line in not_due.out.splitlines()] == ["delivered", "in_customs"]

    forced = once(config, clock, include_all=True)
    assert forced.code == 0
    assert sorted(requested(sim)[2:]) == sorted([DELIVERED, CUSTOMS])  # delivered one too


def test_archived_parcels_are_never_refreshed_or_printed(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, {"number": CUSTOMS, "archived": True}])
    for options in ({}, {"include_all": True}, {"include_all": True, "as_json": True},
                    {"changed_only": True}):
        result = once(config, clock, **options)
        assert result.code == 0
        assert CUSTOMS not in result.out
        clock.advance(7200)
    assert CUSTOMS not in requested(sim)
    assert DELIVERED in requested(sim)


# ---- as the shell sees it -----------------------------------------------------------------------


def shell_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMSTUI_")}
    env["EMSTUI_CONFIG"] = str(home / "config.toml")
    env["EMSTUI_DATA_DIR"] = str(home / "data")
    return env


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_shell_once_json_exits_0_and_never_imports_textual(tmp_path: Path) -> None:
    with SimServer(rate_limit=0) as server:
        server.journeys.assign(DELIVERED, "normal",
                               posted_at=server.sim_now() - timedelta(days=20))
        write_config(tmp_path / "config.toml", server, [DELIVERED])
        proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "emstui", "--once",
                               "--json"], capture_output=True, text=True,
                              env=shell_env(tmp_path), timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert [p["status"] for p in json.loads(proc.stdout)["parcels"]] == ["delivered"]
    imported = [line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines()
                if line.startswith("import time:")]
    assert "emstui.cli.once" in imported and "httpx" in imported  # the once path really ran
    assert not [name for name in imported if name.split(".")[0] == "textual"]


def test_shell_once_against_a_closed_port_exits_1_with_json_and_the_retry_time(
        tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{closed_port()}/api/publicTracking/track"
    write_config(tmp_path / "config.toml", None, [DELIVERED], ems_url=url)
    proc = subprocess.run([sys.executable, "-m", "emstui", "--once", "--json"],
                          capture_output=True, text=True, env=shell_env(tmp_path), timeout=60,
                          check=False)
    assert proc.returncode == 1
    (parcel,) = json.loads(proc.stdout)["parcels"]
    assert parcel["number"] == DELIVERED and "ems" in parcel["error"]["message"]
    assert "emstui: ems: offline:" in proc.stderr and "next attempt at" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_ctrl_c_exits_130_and_keeps_what_was_fetched(tmp_path: Path) -> None:
    fetched, hanging = DELIVERED, CUSTOMS
    with SimServer(rate_limit=0) as server:
        server.journeys.assign(fetched, "normal",
                               posted_at=server.sim_now() - timedelta(days=20))
        write_config(tmp_path / "config.toml", server, [fetched, hanging])
        second_request = threading.Event()
        decide = server.faults.decide
        ems_requests = []

        def slow_second_request(protocol: str | None) -> Decision:
            decision = decide(protocol)
            if protocol == "ems":
                ems_requests.append(protocol)
                if len(ems_requests) >= 2:  # EMS asks one number at a time, in config order
                    second_request.set()
                    return replace(decision, latency=30.0)
            return decision

        server.faults.decide = slow_second_request  # type: ignore[method-assign]
        proc = subprocess.Popen([sys.executable, "-m", "emstui", "--once"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=shell_env(tmp_path))
        try:
            assert second_request.wait(timeout=30), "the second request never came"
            proc.send_signal(signal.SIGINT)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        answered = [n for r in server.requests if r.status == 200 for n in r.numbers]
    assert proc.returncode == 130, err
    assert "interrupted" in err and "saved" in err
    assert "Traceback" not in err
    assert out == ""
    assert answered == [fetched]
    with Store(tmp_path / "data" / paths.STORE_FILENAME) as store:
        state = store.state(fetched)
        assert state is not None and state.status.value == "delivered"
        assert store.state(hanging) is None
        assert store.get_meta("once.last_run") is None  # an interrupted run reported nothing


def test_a_damaged_history_file_is_reported_on_stderr_even_without_a_terminal(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    sim.journeys.assign(DELIVERED, "normal", posted_at=sim.sim_now() - timedelta(days=20))
    write_config(config, sim, [DELIVERED])
    store_file = paths.store_path()
    store_file.parent.mkdir(parents=True, exist_ok=True)
    store_file.write_bytes(b"this is not a database")
    result = once(config, clock)
    assert result.code == 0
    assert result.out.startswith("delivered")
    assert str(store_file) in result.err and "moved to" in result.err
    # ... while a note that only explains a missing key stays off a non-terminal stderr.
    write_config(config, sim, [DELIVERED], provider="17track")
    config.write_text(config.read_text().replace(f'api_key = "{KEY}"',
                                                 'api_key_env = "NOT_SET_ANYWHERE"'))
    quiet = once(config, clock, include_all=True)
    assert quiet.code == 0 and quiet.err == ""


def test_a_rejected_17track_key_exits_1_and_says_it_waits_for_a_config_change(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [REGISTERED], provider="17track")
    config.write_text(config.read_text().replace(KEY, "wrong-key-123"))
    result = once(config, clock)
    assert result.code == 1
    (problem,) = result.err.splitlines()
    assert problem.startswith("emstui: 17track: auth:")
    assert problem.endswith("not retried until the configuration changes")
    assert "wrong-key-123" not in result.out + result.err


def test_retry_times_are_printed_in_the_configured_time_zone(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED])
    config.write_text('[display]\ntimezone = "Asia/Shanghai"\n\n' + config.read_text())
    sim.faults.set_down(True)
    result = once(config, clock)
    problem = next(line for line in result.err.splitlines() if "next attempt at" in line)
    retry_at = datetime.fromisoformat(problem.rsplit("next attempt at ", 1)[1])
    assert retry_at.utcoffset() == timedelta(hours=8)
    assert "+08:00" in result.out  # the parcel's own error line too


def test_an_item_fetched_through_17track_then_the_ems_tracker_shows_each_scan_once(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    journey = sim.journeys.assign(DELIVERED, "customs_hold",
                                  posted_at=sim.sim_now() - timedelta(days=40))
    write_config(config, sim, [DELIVERED], provider="17track")
    first = once(config, clock, as_json=True)
    assert first.code == 0, first.err
    write_config(config, sim, [DELIVERED], provider="ems")  # e.g. the key ran out of quota
    clock.advance(60)  # a later run: one started together with the first would not ask again
    second = once(config, clock, as_json=True, include_all=True)
    assert second.code == 0, second.err
    (parcel,) = second.json()["parcels"]
    assert parcel["provider"] == "ems"
    events = parcel["events"]
    assert [e["code"] for e in events] == [e.code for e in reversed(journey.events)]
    assert all(len(e["sources"]) == 2 and e["sources"][-1] == "ems" for e in events)
    assert all(e["sources"][0].startswith("17track") for e in events)
    assert parcel["changed"] is False  # nothing new: the EMS tracker saw the same scans


def test_once_json_estimates_from_history_when_17track_gives_no_window(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    # Done when: with 3 delivered parcels of a route in the store and no window from the
    # source, a new parcel of that route gets a window from history and says so.
    by_destination: dict[str, list[str]] = {}
    for serial in range(100, 400):
        number = make_number("EE", f"{serial:08d}", "CN")
        destination = sim.journeys.assign(number, "normal").destination.code
        by_destination.setdefault(destination, []).append(number)
    destination, numbers = next((d, n) for d, n in by_destination.items() if len(n) >= 4)
    earlier, new = numbers[:3], numbers[3]
    for days, number in zip((25, 30, 35), earlier, strict=True):
        sim.journeys.assign(number, "normal", posted_at=sim.sim_now() - timedelta(days=days))
    assign_last_visible(sim, new, "normal", "EMA")  # posted, not departed: no 17TRACK window
    write_config(config, sim, [*earlier, new], provider="17track")

    parcels = once(config, clock, as_json=True).parcels()

    assert all(parcels[n]["status"] == "delivered" for n in earlier)
    assert parcels[new]["destination"] == destination
    estimate = parcels[new]["eta"]
    assert estimate["source"] == "history" and estimate["samples"] == 3
    assert estimate["basis"] == f"from your 3 earlier CN→{destination} EMS parcels"
    start, end = (datetime.fromisoformat(estimate[k]) for k in ("from", "to"))
    assert clock.now() < start <= end and estimate["overdue"] is False


# ---- --once --csv -------------------------------------------------------------------------------


def csv_by_number(text: str) -> dict[str, dict[str, str]]:
    return {row["number"]: row for row in csv.DictReader(StringIO(text))}


def test_once_csv_shows_what_json_shows_one_row_per_parcel(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    assign_last_visible(sim, MOVING, "normal", "EMD")  # 17TRACK gives a window
    write_config(config, sim, [{"number": DELIVERED, "label": "Tea", "note": "gift"},
                               CUSTOMS, UNSCANNED, MOVING], provider="17track")
    result = once(config, clock, as_csv=True)
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == ",".join(COLUMNS)
    rows = csv_by_number(result.out)
    assert list(rows) == [DELIVERED, CUSTOMS, UNSCANNED, MOVING]
    assert (rows[DELIVERED]["label"], rows[DELIVERED]["note"]) == ("Tea", "gift")
    assert KEY not in result.out + result.err

    document = once(config, clock, as_json=True)  # nothing is due: the same stored state
    for number, parcel in document.parcels().items():
        row = rows[number]
        last = parcel["last_event"] or {}
        eta = parcel["eta"] or {}
        assert (row["status"], row["stage"]) == (parcel["status"], parcel["stage"])
        assert row["last_event_time"] == (last.get("time") or "")
        assert row["last_event_time_local"] == (last.get("time_local") or "")
        assert row["last_event_location"] == (last.get("location") or "")
        assert row["last_event_description"] == (last.get("description") or "")
        assert (row["eta_from"], row["eta_to"], row["eta_source"]) == \
            (eta.get("from") or "", eta.get("to") or "", eta.get("source") or "")
        assert row["destination"] == (parcel["destination"] or "")
        assert row["next_check"] == (parcel["next_check"] or "")
        assert datetime.fromisoformat(row["last_checked"]) == clock.now()
    assert rows[MOVING]["eta_source"] == "17TRACK" and rows[MOVING]["eta_from"]
    assert rows[DELIVERED]["status"] == "delivered"
    assert rows[UNSCANNED]["last_event_description"] == ""

    out, err = StringIO(), StringIO()  # the command line passes --csv through
    assert run(["--once", "--csv"], out=out, err=err) == 0, err.getvalue()
    assert list(csv_by_number(out.getvalue())) == list(rows)


def test_once_csv_of_hostile_carrier_text_is_inert_in_a_terminal_and_a_spreadsheet(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    numbers = [make_number("EE", f"000000{n}", "CN") for n in (10, 11, 12)]
    for code, number in zip(("EMC", "EMD", "EDC"), numbers, strict=True):
        assign_last_visible(sim, number, "hostile", code)
    write_config(config, sim, [{"number": n, "label": "=Hostile\u001b[31m\u0007 shop"}
                               for n in numbers])
    result = once(config, clock, as_csv=True)
    assert result.code == 0, result.err
    assert not [c for c in UNSAFE if c in result.out], repr(result.out)
    rows = csv_by_number(result.out)
    assert list(rows) == numbers
    assert {row["label"] for row in rows.values()} == {"'=Hostile shop"}
    assert "RED link" in rows[numbers[0]]["last_event_description"]
    assert "NULDELEND" in rows[numbers[2]]["last_event_location"]


def test_once_csv_with_changed_lists_only_changed_parcels(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, CUSTOMS, UNSCANNED])
    assert once(config, clock, as_csv=True).code == 0
    again = once(config, clock, as_csv=True, changed_only=True)
    assert again.out == ",".join(COLUMNS) + "\n"  # nothing changed: the header alone


# ---- [refresh] archive_delivered_after ----------------------------------------------------------


def with_refresh(path: Path, settings: str) -> None:
    path.write_text(f"[refresh]\n{settings}\n\n" + path.read_text(encoding="utf-8"),
                    encoding="utf-8")


def archived_flags(path: Path) -> dict[str, bool]:
    return {p.number: p.archived for p in load_config(path).parcels}


def test_once_archives_parcels_delivered_long_ago_announces_it_once_and_respects_unarchive(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    recent = make_number("EE", "00000020", "CN")
    assign_three(sim)  # DELIVERED was posted 20 days ago, delivered about 13 days ago
    sim.journeys.assign(recent, "normal", posted_at=sim.sim_now() - timedelta(days=12))
    assert sim.journeys.visible_events(recent, sim.sim_now())[-1].code == "EMI"  # ~6 days ago
    write_config(config, sim, [{"number": DELIVERED, "label": "Tea"}, CUSTOMS, recent])
    with_refresh(config, 'archive_delivered_after = "10d"')

    first = once(config, clock)
    assert first.code == 0, first.err
    assert DELIVERED in first.out  # this run still reports the delivery
    lines = [line for line in first.err.splitlines() if "archived" in line]
    assert lines == ["emstui: archived 1 parcel delivered or returned more than 10d ago: Tea "
                     "(`emstui list` shows them)"]
    assert archived_flags(config) == {DELIVERED: True, CUSTOMS: False, recent: False}
    assert config.with_suffix(".toml.bak").exists()  # the atomic edit kept the previous file

    second = once(config, clock, include_all=True)
    assert DELIVERED not in second.out and "archived" not in second.err

    # The user unarchives it: emstui does not archive it again.
    config.write_text(config.read_text(encoding="utf-8").replace("archived = true",
                                                                 "archived = false"),
                      encoding="utf-8")
    third = once(config, clock, include_all=True)
    assert DELIVERED in third.out and "archived" not in third.err
    assert archived_flags(config)[DELIVERED] is False


def test_once_archives_nothing_when_the_setting_is_off(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    assign_three(sim)
    write_config(config, sim, [DELIVERED, CUSTOMS])
    result = once(config, clock)
    assert "archived" not in result.err
    assert archived_flags(config) == {DELIVERED: False, CUSTOMS: False}
