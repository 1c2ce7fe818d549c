"""`emstui doctor` against the simulator over loopback: every check, every failure, --capture."""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import StringIO
from pathlib import Path
from typing import Any

import httpx
import pytest

from emstui.cli.doctor import EMS_PROBE, run_doctor
from emstui.cli.main import run
from emstui.core.clock import FakeClock
from emstui.core.s10 import make_number
from emstui.providers.capture import redact_text
from emstui.sim import SimServer
from emstui.sim.journeys import HOSTILE_STRINGS

KEY = "k17-doctor-Hq4Zp8Rt2"  # distinctive, so a leak is easy to spot
START = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
TEA = make_number("EE", "12345678", "CN")
OTHER_EMS = make_number("EE", "00000003", "CN")
LETTER = make_number("RR", "00000004", "DE")  # not EMS: only 17TRACK tracks it


@dataclass
class Result:
    code: int
    out: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()

    def line(self, state: str, name: str) -> str:
        """The one line for check `name` in `state` ("ok", "FAIL", "warn", "skip")."""
        found = [ln for ln in self.lines
                 if ln.split()[:1] == [state] and ln[6:20].strip() == name]
        assert len(found) == 1, (state, name, self.out)
        return found[0]

    def states(self) -> dict[str, str]:
        """Check name -> state, for the lines with a state word."""
        found = {}
        for ln in self.lines:
            state = ln[:4].strip()
            if state in ("ok", "FAIL", "warn", "skip"):
                found[ln[6:20].strip()] = state
        return found


class TtyStringIO(StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[SimServer]:
    with SimServer(api_key=KEY, quota=100, rate_limit=0, clock=clock) as server:
        server.journeys.assign(TEA, "normal", posted_at=server.sim_now() - timedelta(days=6))
        yield server


@pytest.fixture
def config(isolated_home: Path) -> Path:
    return Path(os.environ["EMSTUI_CONFIG"])


def write_config(path: Path, sim: SimServer, parcels: list[str], *,
                 seventeen: dict[str, str] | None = None, order: str = '"17track", "ems"',
                 extra: str = "") -> Path:
    seventeen = {"api_key": KEY} if seventeen is None else seventeen
    lines = ["[providers]", f"order = [{order}]", ""]
    if seventeen:
        lines += ["[providers.17track]", f'base_url = "{sim.url_17track}"']
        lines += [f"{k} = {json.dumps(v)}" for k, v in seventeen.items()]
        lines.append("")
    lines += ["[providers.ems]", f'base_url = "{sim.url_ems}"', "", extra]
    for number in parcels:
        lines += ["[[parcels]]", f'number = "{number}"', ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")
    path.chmod(0o600)
    return path


def doctor(config: Path, clock: FakeClock, *, out: StringIO | None = None,
           **options: Any) -> Result:
    out = out or StringIO()
    code = run_doctor(config, out=out, clock=clock, **options)
    return Result(code, out.getvalue())


def endpoints(sim: SimServer) -> list[tuple[str, int]]:
    return [(r.path.rsplit("/", 1)[-1], r.status) for r in sim.requests]


# ---- everything works ---------------------------------------------------------------------------


def test_against_the_simulator_every_check_passes_and_exits_0(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    journey = sim.journeys.visible_events(TEA, sim.sim_now())
    latest = f'"{journey[-1].description}" ({journey[-1].location})'
    result = doctor(config, clock)
    assert result.code == 0, result.out
    assert result.states() == {"config": "ok", "history": "ok", "17track": "ok",
                               "17track key": "ok", "17track quota": "ok", "ems": "ok",
                               "pace": "ok"}
    assert result.line("ok", "pace").endswith(
        "a full pass takes ~1 s: 1 parcel via 17TRACK (~107/s)")
    seventeen = result.line("ok", "17track")
    assert f"{TEA} (watched): HTTP 200 (register), HTTP 200 (gettrackinfo) in " in seventeen
    assert f"parsed: in transit, {len(journey)} events" in seventeen and latest in seventeen
    assert "registered it with 17TRACK (1 quota)" in seventeen
    assert "present (api_key in the config file) and accepted" in result.line("ok",
                                                                             "17track key")
    assert "99 of 100 registrations left, 1 used today (asked just now)" in \
        result.line("ok", "17track quota")
    ems = result.line("ok", "ems")
    assert f"{TEA} (watched): HTTP 200 in " in ems
    assert f"parsed: in transit, {len(journey)} events" in ems
    # The EMS page words the scan its own way (plain label, location without country).
    city = journey[-1].location.split(",")[0]
    assert re.search(rf'; latest .+ ".+" \({city}[^)]*\)$', ems), ems
    assert result.lines[-1] == "Every configured source works."
    assert endpoints(sim) == [("register", 200), ("gettrackinfo", 200), ("getquota", 200),
                              ("track", 200)]
    assert KEY not in result.out


def test_latency_is_the_time_from_request_to_the_end_of_the_body(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    ticks = iter(range(0, 10_000, 125))
    write_config(config, sim, [TEA], seventeen={})
    result = doctor(config, clock, timer=lambda: next(ticks) / 1000)
    assert "HTTP 200 in 125 ms" in result.line("ok", "ems")


def test_quota_is_asked_at_most_hourly_across_runs(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    doctor(config, clock)
    clock.advance(20 * 60)
    second = doctor(config, clock)
    assert second.code == 0
    assert "(as of 12:00, 20 min ago; asked at most hourly)" in \
        second.line("ok", "17track quota")
    assert [e for e, _ in endpoints(sim)].count("getquota") == 1
    assert [e for e, _ in endpoints(sim)].count("register") == 1  # registered once, kept


def test_a_low_quota_is_a_warning_not_a_failure(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    sim.track17.set_quota(6)
    write_config(config, sim, [TEA])
    result = doctor(config, clock)
    assert result.code == 0
    line = result.line("warn", "17track quota")
    assert "5 of 6 registrations left" in line
    assert "running low (warned at 10 or fewer): add quota in the 17TRACK dashboard" in line


def test_a_registered_number_is_preferred_so_the_check_costs_no_quota(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    doctor(config, clock)  # registers TEA (the store remembers it)
    write_config(config, sim, [OTHER_EMS, TEA])
    before = len(sim.requests)
    result = doctor(config, clock)
    assert f"{TEA} (watched): HTTP 200 in" in result.line("ok", "17track")
    assert [e for e, _ in endpoints(sim)[before:]] == ["gettrackinfo", "track"]


def test_a_given_number_is_used_and_a_source_that_cannot_track_it_is_skipped(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    result = doctor(config, clock, number=LETTER)
    assert result.code == 0, result.out
    assert f"{LETTER} (given with --number)" in result.line("ok", "17track")
    assert "no watched number for this source" in result.line("skip", "ems")


def test_without_parcels_ems_is_probed_with_an_unused_number_and_17track_by_its_quota(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [])
    result = doctor(config, clock)
    assert result.code == 0, result.out
    assert f"{EMS_PROBE} (no EMS number watched: an unused number" in result.line("ok", "ems")
    assert "give one with --number" in result.line("skip", "17track")
    assert "and accepted" in result.line("ok", "17track key")  # getquota got through
    assert endpoints(sim) == [("getquota", 200), ("track", 200)]


def test_17track_without_a_key_set_up_is_skipped_not_failed(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={}, order='"ems"')
    result = doctor(config, clock)
    assert result.code == 0, result.out
    assert "not set up (no API key)" in result.line("skip", "17track")
    assert [e for e, _ in endpoints(sim)] == ["track"]


# ---- failures -----------------------------------------------------------------------------------


def test_ems_answering_503_exits_1_naming_the_source_and_the_problem(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    sim.faults.fail_next(5, 503, protocol="ems")
    result = doctor(config, clock)
    assert result.code == 1
    assert result.line("FAIL", "ems") == \
        f"FAIL  ems            {TEA} (watched): " + \
        result.line("FAIL", "ems").split("(watched): ")[1]
    assert "HTTP 503 in" in result.line("FAIL", "ems")
    assert "server error (HTTP 503)" in result.line("FAIL", "ems")
    assert [n for n, s in result.states().items() if s == "FAIL"] == ["ems"]
    assert result.lines[-1] == "1 problem: ems."


def test_17track_answering_503_fails_17track_and_leaves_the_key_unconfirmed(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    sim.faults.fail_next(5, 503, protocol="17track")
    result = doctor(config, clock)
    assert result.code == 1
    assert "HTTP 503 in" in result.line("FAIL", "17track")
    assert "not confirmed" in result.line("warn", "17track key")
    assert "failed: server error (HTTP 503)" in result.line("FAIL", "17track quota")
    assert result.line("ok", "ems")
    assert result.lines[-1] == "2 problems: 17track, 17track quota."


def test_a_refused_key_is_named_and_never_printed(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={"api_key": "wrong-key-0042"})
    result = doctor(config, clock)
    assert result.code == 1
    assert "HTTP 401" in result.line("FAIL", "17track")
    assert "refused by 17TRACK" in result.line("FAIL", "17track key")
    assert "not asked: the key was refused" in result.line("skip", "17track quota")
    assert "wrong-key-0042" not in result.out
    assert "getquota" not in [e for e, _ in endpoints(sim)]


def test_a_key_variable_that_is_not_set_fails_naming_the_variable(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={"api_key_env": "EMSTUI_17TRACK_KEY"})
    result = doctor(config, clock)
    assert result.code == 1
    assert "the environment variable EMSTUI_17TRACK_KEY" in result.line("FAIL", "17track key")
    assert [e for e, _ in endpoints(sim)] == ["track"]


def test_a_key_from_the_environment_is_used_and_named(
        sim: SimServer, clock: FakeClock, config: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_17TRACK_KEY", KEY)
    write_config(config, sim, [TEA], seventeen={"api_key_env": "EMSTUI_17TRACK_KEY"})
    result = doctor(config, clock)
    assert result.code == 0
    assert "present (environment variable EMSTUI_17TRACK_KEY) and accepted" in \
        result.line("ok", "17track key")


def test_a_source_that_is_down_fails_without_a_traceback(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={})
    sim.faults.set_down(True)
    result = doctor(config, clock)
    assert result.code == 1
    assert "no answer in" in result.line("FAIL", "ems")
    assert "cannot connect" in result.line("FAIL", "ems")


def test_an_html_error_page_is_reported_as_not_understood(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={})
    sim.faults.html_error_next(5, 200, protocol="ems")
    result = doctor(config, clock)
    assert result.code == 1
    assert "HTTP 200 in" in result.line("FAIL", "ems")


class _BuggyTransport(httpx.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        raise RuntimeError(f"a bug holding {KEY}")


def test_a_bug_while_checking_is_one_line_without_the_key_not_a_traceback(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    write_config(config, sim, [TEA])
    result = doctor(config, clock, transports={"ems": _BuggyTransport()})
    assert result.code == 1
    assert result.line("FAIL", "ems").endswith(
        "emstui failed while checking EMS Cooperative: RuntimeError: a bug holding "
        "[redacted] (please report this)")
    assert KEY not in result.out and result.line("ok", "17track")


def test_an_unreadable_config_exits_2_with_one_line_naming_file_and_line(
        config: Path, clock: FakeClock) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('[refresh]\ninterval = "soon"\n', encoding="utf-8")
    result = doctor(config, clock)
    assert result.code == 2
    assert f"{config}:2: refresh.interval" in result.line("FAIL", "config")
    assert result.lines[-1] == "Fix the config first: nothing else was checked."


def test_hostile_carrier_text_is_printed_inert(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    hostile = make_number("EK", "30000001", "CN")
    sim.journeys.assign(hostile, "hostile", posted_at=sim.sim_now() - timedelta(days=20))
    write_config(config, sim, [hostile])
    result = doctor(config, clock, out=TtyStringIO())
    printed = result.out.replace("\x1b[32m", "").replace("\x1b[0m", "")
    assert "\x1b" not in printed and "\u202e" not in printed and "\x00" not in printed
    assert not any(h in printed for h in HOSTILE_STRINGS[2:6])


# ---- output -------------------------------------------------------------------------------------


def test_a_terminal_gets_marks_and_colour_and_no_color_plain_words(
        sim: SimServer, clock: FakeClock, config: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    write_config(config, sim, [TEA], seventeen={})
    sim.faults.fail_next(1, 503, protocol="ems")
    fancy = doctor(config, clock, out=TtyStringIO())
    assert fancy.out.splitlines()[0].startswith("\x1b[32m✓\x1b[0m config ")
    assert any(ln.startswith("\x1b[31m✗\x1b[0m ems ") for ln in fancy.out.splitlines())
    monkeypatch.setenv("NO_COLOR", "1")
    plain = doctor(config, clock, out=TtyStringIO())
    assert "\x1b" not in plain.out and plain.out.splitlines()[0].startswith("ok    config ")


def test_on_a_narrow_terminal_long_checks_wrap_under_their_text(
        sim: SimServer, clock: FakeClock, config: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    write_config(config, sim, [TEA])
    result = doctor(config, clock, out=TtyStringIO())
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", ln) for ln in result.out.splitlines()]
    # Only a word longer than the room (the temporary directory's path) may stick out.
    assert all(len(ln) <= 60 or max(len(w) for w in ln.split()) > 60 - 17 for ln in lines)
    assert sum(len(ln) > 60 for ln in lines) <= 2  # config and history paths
    wrapped = [ln for ln in lines if ln.startswith(" ")]
    assert wrapped and all(ln.startswith(" " * 17) and ln[17] != " " for ln in wrapped)
    assert any(ln.startswith("✓ ems ") for ln in lines)


def test_the_cli_runs_doctor_and_validates_the_number(
        sim: SimServer, config: Path) -> None:
    write_config(config, sim, [TEA], seventeen={})
    out, err = StringIO(), StringIO()
    assert run(["doctor"], out=out, err=err) == 0, out.getvalue() + err.getvalue()
    assert "Every configured source works." in out.getvalue()
    out, err = StringIO(), StringIO()
    assert run(["doctor", "--number", "EE123456789CN"], out=out, err=err) == 3
    assert "check digit" in err.getvalue() and out.getvalue() == ""


def test_a_shell_sees_exit_1_and_no_traceback_when_the_source_is_unreachable(
        config: Path, isolated_home: Path) -> None:
    config.parent.mkdir(parents=True, exist_ok=True)
    # Port 9 on loopback: nothing listens, the connection is refused at once.
    config.write_text('[providers]\norder = ["ems"]\n[providers.ems]\n'
                      'base_url = "http://127.0.0.1:9/api/publicTracking/track"\n'
                      f'[[parcels]]\nnumber = "{TEA}"\n', encoding="utf-8")
    env = {**os.environ, "HOME": str(isolated_home)}
    proc = subprocess.run([sys.executable, "-m", "emstui", "doctor"], capture_output=True,
                          text=True, env=env, timeout=60)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.stdout.splitlines()[-1] == "1 problem: ems."
    assert "FAIL  ems" in proc.stdout and "cannot connect" in proc.stdout


# ---- --capture ----------------------------------------------------------------------------------


def test_capture_saves_every_exchange_with_the_key_redacted(
        sim: SimServer, clock: FakeClock, config: Path, tmp_path: Path) -> None:
    write_config(config, sim, [TEA])
    target = tmp_path / "report"
    result = doctor(config, clock, capture=target)
    assert result.code == 0
    assert "saved 4 responses to" in result.line("ok", "capture")
    files = sorted(target.iterdir())
    assert [f.name.split("-", 3)[3] for f in files] == [
        "17track-register.txt", "17track-gettrackinfo.txt", "17track-getquota.txt",
        "ems-track.txt"]
    for f in files:
        text = f.read_text(encoding="utf-8")
        assert KEY not in text
        assert stat.S_IMODE(f.stat().st_mode) == 0o600
    track = files[1].read_text(encoding="utf-8")
    assert "> 17token: [redacted]" in track and "< HTTP 200" in track
    body = track.split("\n\n", 1)[1]
    assert json.loads(body)["data"]["accepted"][0]["number"] == TEA
    page = files[3].read_text(encoding="utf-8")
    assert f"itemId={TEA}" in page and f'id="table-{TEA}"' in page
    again = doctor(config, clock, capture=target)  # a second run adds, never overwrites
    assert again.code == 0 and len(list(target.iterdir())) == 6


def test_capture_records_a_503_answer_too(
        sim: SimServer, clock: FakeClock, config: Path, tmp_path: Path) -> None:
    write_config(config, sim, [TEA], seventeen={})
    sim.faults.fail_next(1, 503, protocol="ems")
    result = doctor(config, clock, capture=tmp_path / "c")
    assert result.code == 1
    [saved] = (tmp_path / "c").iterdir()
    assert "< HTTP 503" in saved.read_text(encoding="utf-8")


def test_capture_into_an_unwritable_place_fails_that_check_only(
        sim: SimServer, clock: FakeClock, config: Path, tmp_path: Path) -> None:
    write_config(config, sim, [TEA], seventeen={})
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    result = doctor(config, clock, capture=blocker / "sub")
    assert result.code == 1
    assert "cannot write to" in result.line("FAIL", "capture")
    assert result.line("ok", "ems")


@pytest.mark.parametrize(("text", "hidden", "kept"), [
    ('{"token": "abc123", "number": "EE1"}', "abc123", '"number": "EE1"'),
    ('{"access_token":"t-1","api_key": "k-2"}', "t-1", '"access_token":"[redacted]"'),
    ('<input type="hidden" name="__RequestVerificationToken" value="CfDJ8x">', "CfDJ8x",
     'name="__RequestVerificationToken"'),
    ("<meta name='csrf-token' content='zz9'>", "zz9", "csrf-token"),
    ("https://h/x?itemId=EE1&token=s3cr3t&x=1", "s3cr3t", "itemId=EE1"),
    (f"echo {KEY.upper()}", KEY.upper(), "echo"),
])
def test_redaction_hides_tokens_and_keeps_the_rest(text: str, hidden: str, kept: str) -> None:
    redacted = redact_text(text, [KEY])
    assert hidden not in redacted and kept in redacted and "[redacted]" in redacted


@pytest.mark.parametrize("page", [
    '<input id="publicTrackingView.itemId" name="itemId" value="EE123456785CN">',
    '<meta name="keywords" content="EMS, tracking">',
    '{"number": "EE123456785CN", "providers_hash": -595601716}',
])
def test_redaction_leaves_ordinary_fields_alone(page: str) -> None:
    assert redact_text(page, [KEY]) == page


def test_pace_warns_when_a_pass_of_ems_items_without_a_key_outlasts_the_interval(
        sim: SimServer, clock: FakeClock, config: Path) -> None:
    from emstui.core.s10 import make_number

    numbers = [make_number("EE", f"{i:08d}", "CN") for i in range(4000)]
    lines = ["[providers]", 'order = ["17track", "ems"]', "", "[providers.ems]",
             f'base_url = "{sim.url_ems}"', ""]
    for number in numbers:
        lines += ["[[parcels]]", f'number = "{number}"', ""]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text("\n".join(lines), encoding="utf-8")
    result = doctor(config, clock)
    pace = result.line("warn", "pace")
    assert ("a full pass takes ~1 h 14 min: 4000 parcels via EMS Cooperative (~0.9/s); "
            "longer than refresh.interval (~1 h)") in pace, pace
