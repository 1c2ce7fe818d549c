"""Notifications: [notify] settings, the command and terminal targets, the store's outbox
(exactly once across processes, bounded retries), `--once` and the monitor against the
simulator, and `emstui notify test`."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from io import StringIO
from pathlib import Path
from typing import Any, ClassVar

import pytest
import tomli_w
from apphelpers import TEA, World, make_world, notifications, running
from clihelpers import cli

from emstui.cli.once import run_once
from emstui.config import ConfigError, load_config
from emstui.config.notify import NotifySettings, parse_notify
from emstui.core.clock import FakeClock
from emstui.core.model import Event, ParcelState, Stage, Status, Tracking
from emstui.engine.events import CycleFinished, ParcelUpdated
from emstui.notify.notifier import RETRY_DELAYS, Notifier, build_payload, prune_outbox
from emstui.notify.targets import (
    AppriseTarget,
    CommandTarget,
    DeliveryError,
    TargetUnavailable,
    TerminalTarget,
    terminal_sequence,
)
from emstui.store import Store, outbox

ROOT = Path(__file__).resolve().parents[2]
TEN_DAYS = timedelta(days=10).total_seconds()
NUMBER = "EE123456785CN"
HOSTILE_LABEL = "Tea \x1b]0;pwned\x07\x1b[31mRED\u202e [b]x[/]"


def recorder(log: Path) -> list[str]:
    """A command (argv) that appends one JSON line per run: its EMSTUI_* variables, its stdin
    and its process id."""
    code = ("import json, os, sys; env = {k: v for k, v in os.environ.items() "
            "if k.startswith('EMSTUI_') or k == 'SECRET_KEY_ENV'}; "
            "line = json.dumps({'env': env, 'stdin': json.loads(sys.stdin.read()), "
            f"'pid': os.getpid()}}); open({str(log)!r}, 'a').write(line + '\\n')")
    return [sys.executable, "-c", code]


def runs(log: Path) -> list[dict[str, Any]]:
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]


def delivered_change(old: Status | None = Status.OUT_FOR_DELIVERY,
                     status: Status = Status.DELIVERED,
                     description: str = "Delivered") -> ParcelUpdated:
    code = "EMI" if description == "Delivered" else None
    event = Event("2026-11-24 10:00", description, "BERLIN \x1b[2J", "ems", code=code)
    state = ParcelState(number=NUMBER, status=status, stage=Stage.DELIVERED, last_event=event)
    return ParcelUpdated(NUMBER, state, (event,), old, status_changed=old is not status)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "history.sqlite3") as s:
        yield s


def notifier_for(store: Store, clock: FakeClock, command: list[str], **settings: Any) -> Notifier:
    options = {"on": frozenset({"delivered"}), "command": tuple(command), "timeout": 10,
               **settings}
    return Notifier(NotifySettings(**options), store, clock, label_of=lambda n: HOSTILE_LABEL)


# ---- settings -------------------------------------------------------------------------------


def test_notify_settings_problems_name_the_line_and_unknown_keys_warn(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[notify]\non = ["delivred"]\ncommand = ""\nsound = true\n',
                    encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    text = str(caught.value)
    assert "line 2: notify.on: unknown change 'delivred'" in text
    assert "line 3: notify.command: expected a non-empty string" in text
    path.write_text('[notify]\ncommand = "true"\nsound = true\n', encoding="utf-8")
    config = load_config(path)
    assert any("notify.sound: unknown key" in w for w in config.warnings)
    settings = parse_notify(config.extra["notify"])
    assert settings is not None and settings.command == "true" and "delivered" in settings.on
    assert "notify" in tomli_w.dumps({"notify": config.extra["notify"]})


# ---- the command target ----------------------------------------------------------------------


async def test_command_gets_the_change_in_variables_and_json_sanitised_without_keys(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    log = tmp_path / "runs.jsonl"
    monkeypatch.setenv("EMSTUI_17TRACK_KEY", "k-17track-secret")
    monkeypatch.setenv("SECRET_KEY_ENV", "k-configured-secret")
    payload = build_payload(delivered_change(), "delivered", label=HOSTILE_LABEL,
                            now=FakeClock().now())
    await CommandTarget(tuple(recorder(log)), timeout=10,
                        hidden_env=("SECRET_KEY_ENV",)).send(payload)
    (seen,) = runs(log)
    env = seen["env"]
    assert env["EMSTUI_NUMBER"] == NUMBER and env["EMSTUI_STATUS"] == "delivered"
    assert env["EMSTUI_CHANGE"] == "delivered" and env["EMSTUI_EVENT"] == "Delivered"
    assert env["EMSTUI_OLD_STATUS"] == "out_for_delivery"
    assert env["EMSTUI_LABEL"] == "Tea RED [b]x[/]"  # escapes and bidi gone, text literal
    assert env["EMSTUI_LOCATION"] == "BERLIN"
    assert "EMSTUI_17TRACK_KEY" not in env and "SECRET_KEY_ENV" not in env
    assert seen["stdin"]["label"] == "Tea RED [b]x[/]" and seen["stdin"]["number"] == NUMBER
    for text in (json.dumps(seen, ensure_ascii=False), *env.values()):
        assert "\x1b" not in text and "\x07" not in text and "\u202e" not in text


async def test_command_failures_are_one_line_each(tmp_path: Path) -> None:
    payload = {"number": NUMBER}
    with pytest.raises(DeliveryError, match="exited with status 3: boom"):
        await CommandTarget("echo boom >&2; exit 3", timeout=10).send(payload)
    with pytest.raises(DeliveryError, match='command not found: "/nonexistent/notify"'):
        await CommandTarget(("/nonexistent/notify",), timeout=10).send(payload)
    with pytest.raises(DeliveryError, match='command not found: "no-such-notifier --now"'):
        await CommandTarget("no-such-notifier --now", timeout=10).send(payload)


async def test_a_hanging_command_is_stopped_with_everything_it_started(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    hang = f"sleep 30 & echo $! > {pid_file}; wait"
    with pytest.raises(DeliveryError, match=r"did not finish within 0\.3 s and was stopped"):
        await CommandTarget(hang, timeout=0.3).send({"number": NUMBER})
    assert not running_process(int(pid_file.read_text()))


def running_process(pid: int) -> bool:
    """True while `pid` runs (a killed process waiting to be reaped, a zombie, does not)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] not in ("Z", "X")


def test_terminal_sequences_are_clean_and_pass_through_tmux() -> None:
    body = "Tea\x07\x1b]52;c;ZXZpbA==\x07 delivered"
    assert terminal_sequence("emstui", body, style="osc9", tmux=False) == \
        "\x1b]9;Tea delivered\x1b\\"
    assert terminal_sequence("a;b", "x", style="osc777", tmux=False) == \
        "\x1b]777;notify;a,b;x\x1b\\"
    assert terminal_sequence("t", "x", style="osc9", tmux=True) == \
        "\x1bPtmux;\x1b\x1b]9;x\x1b\x1b\\\x1b\\"


# ---- the outbox: once, retries, summaries ----------------------------------------------------


async def test_a_change_is_sent_once_however_often_it_is_observed(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock()
    first, second = (notifier_for(store, clock, recorder(log)) for _ in range(2))
    first.observe(delivered_change())
    second.observe(delivered_change())  # e.g. another process applied the same answer
    await first.drain()
    await second.drain()
    assert len(runs(log)) == 1
    (row,) = outbox.history(store)
    assert row["target"] == "command" and row["sent_at"] and row["attempts"] == 1


async def test_first_check_other_statuses_and_unchanged_status_do_not_notify(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    notifier = notifier_for(store, FakeClock(), recorder(log))
    notifier.observe(delivered_change(old=None))  # first check of a newly added parcel
    notifier.observe(delivered_change(status=Status.IN_CUSTOMS))
    notifier.observe(delivered_change(old=Status.DELIVERED))  # no status change
    await notifier.drain()
    assert runs(log) == [] and outbox.history(store) == []


async def test_any_event_notifies_each_new_scan(store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    notifier = notifier_for(store, FakeClock(), recorder(log), on=frozenset({"any_event"}))
    notifier.observe(delivered_change(old=Status.IN_TRANSIT, status=Status.IN_TRANSIT,
                                      description="Arrived at hub"))
    notifier.observe(delivered_change(old=Status.IN_TRANSIT, status=Status.IN_TRANSIT,
                                      description="Left hub"))
    await notifier.drain()
    assert [r["env"]["EMSTUI_EVENT"] for r in runs(log)] == ["Arrived at hub", "Left hub"]
    assert {r["env"]["EMSTUI_CHANGE"] for r in runs(log)} == {"new_event"}


async def test_a_failing_target_is_retried_a_bounded_number_of_times_with_one_summary(
        store: Store, tmp_path: Path) -> None:
    attempts = tmp_path / "attempts"
    clock = FakeClock()
    notifier = notifier_for(store, clock, ["/bin/sh", "-c", f"echo x >> {attempts}; exit 1"])
    notifier.observe(delivered_change())
    await notifier.drain()
    assert len(notifier.problems) == 1 and "failed" in notifier.problems[0]
    await notifier.drain()  # not due yet: no new attempt
    assert attempts.read_text().count("x") == 1
    for delay in RETRY_DELAYS:
        clock.advance(delay)
        await notifier.drain()
    assert attempts.read_text().count("x") == 1 + len(RETRY_DELAYS)
    assert len(notifier.problems) == 2
    assert "given up after 4 attempts" in notifier.problems[1]
    assert "Tea RED" in notifier.problems[1] and "\x1b" not in notifier.problems[1]
    clock.advance(10 * 86400)
    await notifier.drain()
    assert attempts.read_text().count("x") == 4
    (row,) = outbox.history(store)
    assert row["failed_at"] and row["attempts"] == 4 and "exited with status 1" in row["last_error"]


async def test_many_failures_at_once_make_one_report(store: Store, tmp_path: Path) -> None:
    notifier = notifier_for(store, FakeClock(), ["/bin/sh", "-c", "exit 1"],
                            on=frozenset({"any_event"}))
    for scan in ("One", "Two", "Three", "Four", "Five"):
        notifier.observe(delivered_change(old=Status.IN_TRANSIT, status=Status.IN_TRANSIT,
                                          description=scan))
    await notifier.drain()
    (report,) = notifier.problems
    assert report.startswith("5 notifications (command) for Tea RED [b]x[/], ")
    assert "and 2 more failed" in report and "exited with status 1" in report


async def test_terminal_rows_wait_for_the_monitor_while_commands_go_at_once(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock()
    headless = notifier_for(store, clock, recorder(log), terminal="osc9")  # like --once
    headless.observe(delivered_change())
    await headless.drain()
    assert len(runs(log)) == 1
    written: list[str] = []
    monitor = notifier_for(store, clock, recorder(log), terminal="osc9")
    monitor.attach_terminal(written.append)
    await monitor.drain()
    assert len(written) == 1 and "Delivered, BERLIN" in written[0]
    assert len(runs(log)) == 1  # the command was not sent twice


# ---- across processes, against the simulator --------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path, (TEA,)) as w:
        yield w


def add_notify(world: World, log: Path) -> None:
    text = world.config_file.read_text(encoding="utf-8")
    notify = tomli_w.dumps({"notify": {"on": ["delivered"], "command": recorder(log)}})
    world.config_file.write_text(text + "\n" + notify, encoding="utf-8")


def start_once(world: World) -> subprocess.Popen[str]:
    """`emstui --once --all` in a process of its own, on the world's config and store."""
    env = {**os.environ, "EMSTUI_CONFIG": str(world.config_file),
           "EMSTUI_DATA_DIR": str(world.store_path.parent), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-m", "emstui", "--once", "--all"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> str:
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    return out


async def test_turning_delivered_notifies_once_with_the_monitor_and_once_running_together(
        world: World, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    add_notify(world, log)
    async with running(world) as (app, _pilot):  # the monitor has seen TEA in customs
        notifier = app.services.notifier
        assert notifier is not None
        world.clock.advance(TEN_DAYS)  # the simulator now shows TEA delivered
        other = start_once(world)
        await app.engine.refresh([TEA], force=True)
        await notifier.drain()
        out = await asyncio.to_thread(finish, other)
        await app.engine.refresh([TEA], force=True)  # and once more, after --once
        await notifier.drain()
    assert out.startswith("delivered"), out
    (seen,) = runs(log)
    assert seen["env"]["EMSTUI_NUMBER"] == TEA and seen["env"]["EMSTUI_STATUS"] == "delivered"
    assert seen["env"]["EMSTUI_LABEL"] == world.label(TEA)


def test_turning_delivered_notifies_once_with_two_once_processes_at_the_same_time(
        world: World, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    add_notify(world, log)
    first = once_in_process(world)  # TEA in customs: nothing to notify
    assert first.startswith("in_customs") and runs(log) == []
    world.clock.advance(TEN_DAYS)
    processes = [start_once(world) for _ in range(2)]
    outputs = [finish(p) for p in processes]
    assert all(out.startswith("delivered") for out in outputs), outputs
    (seen,) = runs(log)
    assert seen["stdin"]["change"] == "delivered" and seen["stdin"]["number"] == TEA
    assert once_in_process(world).startswith("delivered") and len(runs(log)) == 1


def test_turning_delivered_notifies_once_from_the_monitor_alone(
        world: World, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    add_notify(world, log)

    async def monitor() -> None:
        async with running(world) as (app, _pilot):
            world.clock.advance(TEN_DAYS)
            await app.engine.refresh([TEA], force=True)
            assert app.services.notifier is not None
            await app.services.notifier.drain()

    asyncio.run(monitor())
    assert [r["env"]["EMSTUI_STATUS"] for r in runs(log)] == ["delivered"]


def once_in_process(world: World) -> str:
    out, err = StringIO(), StringIO()
    code = run_once(world.config_file, out=out, err=err, clock=world.clock,
                    store_path=world.store_path, include_all=True)
    assert code == 0, err.getvalue()
    return out.getvalue()


def test_once_reports_a_failing_command_on_stderr_and_still_prints_parcels(
        world: World, tmp_path: Path) -> None:
    text = world.config_file.read_text(encoding="utf-8")
    world.config_file.write_text(text + '\n[notify]\ncommand = "exit 4"\n', encoding="utf-8")
    once_in_process(world)
    world.clock.advance(TEN_DAYS)
    out, err = StringIO(), StringIO()
    code = run_once(world.config_file, out=out, err=err, clock=world.clock,
                    store_path=world.store_path, include_all=True)
    assert code == 0 and out.getvalue().startswith("delivered")
    assert err.getvalue().startswith("emstui: notification (command) for ")
    assert "exited with status 4" in err.getvalue() and err.getvalue().count("\n") == 1


# ---- emstui notify test --------------------------------------------------------------------



def test_notify_test_sends_a_sample_to_the_command(tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    config = tmp_path / "config.toml"
    config.write_text(tomli_w.dumps({"notify": {"command": recorder(log)}}), encoding="utf-8")
    assert cli("--config", str(config), "notify", "test") == (0, "command: sent\n", "")
    assert runs(log)[0]["env"]["EMSTUI_CHANGE"] == "test"


def test_notify_test_says_what_is_missing(tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "apprise", None)  # the optional extra not installed
    config = tmp_path / "config.toml"
    config.write_text("", encoding="utf-8")
    code, out, err = cli("--config", str(config), "notify", "test")
    assert code == 2 and "no notification target is configured" in err and out == ""
    config.write_text('[notify]\ncommand = "exit 9"\nurls = ["tgram://SECRET-TOKEN/123"]\n',
                      encoding="utf-8")
    code, out, err = cli("--config", str(config), "notify", "test")
    assert code == 1 and "command: FAILED: command /bin/sh" not in out
    assert "command: FAILED:" in out and "exited with status 9" in out
    assert "pip install 'emstui[notify]'" in err and "SECRET-TOKEN" not in err + out


async def test_the_monitor_toasts_a_failing_command_and_sends_terminal_notifications(
        world: World) -> None:
    text = world.config_file.read_text(encoding="utf-8")
    world.config_file.write_text(text + '\n[notify]\ncommand = "exit 5"\nterminal = true\n',
                                 encoding="utf-8")
    async with running(world) as (app, pilot):
        notifier = app.services.notifier
        assert notifier is not None and "terminal" in notifier.targets
        written: list[str] = []
        terminal = notifier.targets["terminal"]
        assert isinstance(terminal, TerminalTarget)
        terminal.write = written.append
        world.clock.advance(TEN_DAYS)
        await app.engine.refresh([TEA], force=True)
        await notifier.drain()
        await pilot.pause()
        toasts = [n for n in notifications(app) if n.startswith("Notification:")]
        assert len(toasts) == 1 and "exited with status 5" in toasts[0]
        assert f"for {world.label(TEA)} failed" in toasts[0]
        assert len(written) == 1 and f"{world.label(TEA)} ({TEA}): delivered" in written[0]


# ---- Apprise URLs (the optional extra) ------------------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    bodies: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        type(self).bodies.append(json.loads(self.rfile.read(length)))
        self.send_response(200)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A loopback HTTP server taking Apprise's json:// posts."""
    bodies: list[dict[str, Any]] = []
    handler = type("Receiver", (_Receiver,), {"bodies": bodies})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"json://127.0.0.1:{server.server_address[1]}/hook", bodies
    finally:
        server.shutdown()
        server.server_close()


async def test_apprise_urls_get_the_title_and_message(
        receiver: tuple[str, list[dict[str, Any]]]) -> None:
    pytest.importorskip("apprise")
    url, bodies = receiver
    payload = build_payload(delivered_change(), "delivered", label=HOSTILE_LABEL,
                            now=FakeClock().now())
    await AppriseTarget((url,), timeout=10).send(payload)
    (body,) = bodies
    assert body["title"] == "emstui: Tea RED [b]x[/]"
    assert body["message"].startswith(f"Tea RED [b]x[/] ({NUMBER}): delivered — Delivered")


async def test_apprise_failures_and_bad_urls_never_show_the_url(tmp_path: Path) -> None:
    pytest.importorskip("apprise")
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    target = AppriseTarget((f"json://user:TOPSECRET@127.0.0.1:{port}/",), timeout=10)
    with pytest.raises(DeliveryError) as caught:
        await target.send({"title": "t", "message": "m"})
    assert "TOPSECRET" not in str(caught.value)
    with pytest.raises(TargetUnavailable) as bad:
        AppriseTarget(("nosuchscheme://TOPSECRET@host",), timeout=10)
    assert "nosuchscheme://" in str(bad.value) and "TOPSECRET" not in str(bad.value)


# ---- stalled parcels --------------------------------------------------------------------------


def quiet_change(days: float, *, description: str = "Departure from outward office of exchange",
                 old: Status | None = Status.IN_TRANSIT, error: str | None = None,
                 stage: Stage = Stage.DEPARTED) -> ParcelUpdated:
    """A check of a parcel in transit whose newest scan is `days` old (FakeClock's now)."""
    when = FakeClock().now() - timedelta(days=days)
    event = Event(when.strftime("%Y-%m-%d %H:%M"), description, "SHANGHAI \x1b[2J", "17track",
                  time_utc=when, code="EMC")
    state = ParcelState(number=NUMBER, status=Status.IN_TRANSIT, stage=stage, last_event=event)
    return ParcelUpdated(NUMBER, state, (), old, status_changed=False, error=error)


async def test_a_stalled_parcel_notifies_once_per_stall_with_who_to_contact(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock()
    first, second = (notifier_for(store, clock, recorder(log), on=frozenset({"stalled"}))
                     for _ in range(2))
    first.observe(quiet_change(days=15))
    first.observe(quiet_change(days=15))  # checked again, still stalled
    second.observe(quiet_change(days=15, error="offline"))  # another process, a failed check
    await first.drain()
    await second.drain()
    (run_,) = runs(log)
    env = run_["env"]
    assert (env["EMSTUI_CHANGE"], env["EMSTUI_STATUS"]) == ("stalled", "in_transit")
    assert env["EMSTUI_MESSAGE"].endswith(
        "(EE123456785CN): stalled: no scan for 15d at stage 'departed'")
    # The advice for a long silence after departure: the sender asks the origin post; China
    # EMS's hotline is for callers in mainland China.
    assert "only the SENDER can file an EMS inquiry" in env["EMSTUI_ADVICE"]
    assert "11183, for callers in mainland China" in env["EMSTUI_ADVICE"]
    assert run_["stdin"]["advice"] == env["EMSTUI_ADVICE"]
    assert not any(ch in json.dumps(run_) for ch in ("\x1b", "\u202e"))

    # A new scan ends the stall; when that one goes quiet too, it is a new stall.
    first.observe(quiet_change(days=16, description="Arrival at inward office of exchange",
                               stage=Stage.ARRIVED))
    await first.drain()
    assert [r["env"]["EMSTUI_CHANGE"] for r in runs(log)] == ["stalled", "stalled"]


async def test_quiet_but_normal_first_answers_and_unasked_stalls_do_not_notify(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock()
    stalled = notifier_for(store, clock, recorder(log), on=frozenset({"stalled"}))
    stalled.observe(quiet_change(days=13))  # past the warning (7 d), not the alert (14 d)
    stalled.observe(quiet_change(days=30, old=None))  # a newly added parcel's first answer
    notifier_for(store, clock, recorder(log)).observe(quiet_change(days=30))  # on: delivered
    await stalled.drain()
    assert runs(log) == [] and outbox.history(store) == []


# ---- outbox pruning -------------------------------------------------------------------------


def stored_change(store: Store, clock: FakeClock, events: tuple[Event, ...], status: Status,
                  old: Status | None) -> ParcelUpdated:
    """Store an answer and make the change the engine would announce for it."""
    result = store.apply_tracking(Tracking(NUMBER, "ems", status, Stage.NONE, events),
                                  checked_at=clock.now(), next_due=None)
    return ParcelUpdated(NUMBER, result.state, result.new_events, old,
                         result.status_changed)


async def test_pruned_records_bound_the_outbox_and_a_notified_change_is_not_sent_again(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    notifier = notifier_for(store, clock, recorder(log),
                            on=frozenset({"out_for_delivery", "any_event"}))
    posted = Event("2026-01-01 08:00", "Posting", "SHANGHAI", "ems", code="EMA")
    out = Event("2026-01-02 08:00", "Out for delivery", "BERLIN", "ems", code="EMH")
    later = Event("2026-01-03 08:00", "Delivery attempt", "BERLIN", "ems")
    store.apply_tracking(Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.NONE, (posted,)),
                         checked_at=clock.now(), next_due=None)
    # Out for delivery on scan `out`: notified (keyed by the status and that scan).
    notifier.observe(stored_change(store, clock, (out, posted), Status.OUT_FOR_DELIVERY,
                                   Status.IN_TRANSIT))
    await notifier.drain()
    assert len(runs(log)) == 1
    # A newer scan follows; the status stays: a new-event record.
    notifier.observe(stored_change(store, clock, (later, out, posted),
                                   Status.OUT_FOR_DELIVERY, Status.OUT_FOR_DELIVERY))
    await notifier.drain()
    assert len(runs(log)) == 2 and len(outbox.history(store)) == 2

    clock.advance(timedelta(days=91).total_seconds())
    notifier.observe(CycleFinished(clock.now(), clock.now(), 1, 0, None))
    await notifier.drain()
    # Neither change can come again (`later` is the newest scan now).
    assert outbox.history(store) == []
    # The same answers seen again (another process, a source repeating itself): no news.
    notifier.observe(stored_change(store, clock, (out, posted), Status.OUT_FOR_DELIVERY,
                                   Status.OUT_FOR_DELIVERY))
    notifier.observe(stored_change(store, clock, (later, out, posted),
                                   Status.OUT_FOR_DELIVERY, Status.OUT_FOR_DELIVERY))
    await notifier.drain()
    assert len(runs(log)) == 2


async def test_a_record_whose_change_could_recur_outlives_the_pruning(
        store: Store, tmp_path: Path) -> None:
    log = tmp_path / "runs.jsonl"
    clock = FakeClock(datetime(2026, 1, 1, tzinfo=UTC))
    notifier = notifier_for(store, clock, recorder(log), on=frozenset({"out_for_delivery"}))
    out = Event("2026-01-02 08:00", "Out for delivery", "BERLIN", "ems", code="EMH")
    store.apply_tracking(Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.NONE, (out,)),
                         checked_at=clock.now(), next_due=None)
    notifier.observe(stored_change(store, clock, (out,), Status.OUT_FOR_DELIVERY,
                                   Status.IN_TRANSIT))
    await notifier.drain()
    clock.advance(timedelta(days=91).total_seconds())
    assert prune_outbox(store, clock.now()) == 0  # `out` is still the newest scan
    assert prune_outbox(store, clock.now()) == 0  # and at most once a day anyway
    # The status flips back and forth on the same scan: still sent only once.
    store.apply_tracking(Tracking(NUMBER, "ems", Status.IN_TRANSIT, Stage.NONE, (out,)),
                         checked_at=clock.now(), next_due=None)
    notifier.observe(stored_change(store, clock, (out,), Status.OUT_FOR_DELIVERY,
                                   Status.IN_TRANSIT))
    await notifier.drain()
    assert len(runs(log)) == 1 and len(outbox.history(store)) == 1
