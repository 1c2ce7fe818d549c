"""The command line: check, add, remove, list, locate, config, usage errors and exit codes."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from clihelpers import cli

from emstui import __version__
from emstui.config import paths, starter_config_text
from emstui.core.model import Event, Stage, Status, Tracking
from emstui.core.s10 import make_number
from emstui.present import autoarchive
from emstui.present.csvexport import COLUMNS
from emstui.store import Store

TEA = "EE123456785CN"
WRONG_DIGIT = "EE123456786CN"




@pytest.fixture
def config_file(isolated_home: Path) -> Path:
    """The config file the CLI uses when no --config is given (EMSTUI_CONFIG, from conftest)."""
    return Path(os.environ["EMSTUI_CONFIG"])


def listed(*argv: str) -> list[dict[str, object]]:
    result = cli(*argv, "list", "--json")
    assert result.code == 0, result.err
    return json.loads(result.out)["parcels"]


def store_with_history(number: str) -> None:
    """Give `number` two events in the history store the CLI uses."""
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    events = (Event("2026-11-20 10:00", "Posting/Collection", "HANGZHOU, CHINA", "ems",
                    time_utc=when, code="EMA"),
              Event("2026-11-21 10:00", "Departure from outward office of exchange",
                    "SHANGHAI, CHINA", "ems", time_utc=when.replace(day=21), code="EMC"))
    paths.store_path().parent.mkdir(parents=True, exist_ok=True)
    with Store(paths.store_path()) as store:
        store.apply_tracking(Tracking(number, "ems", Status.IN_TRANSIT, Stage.DEPARTED, events),
                             checked_at=when.replace(day=22), next_due=None)


def history_of(number: str) -> tuple[int, bool]:
    """(events stored, state stored) for `number`."""
    with Store(paths.store_path()) as store:
        return len(store.events(number)), store.state(number) is not None


# ---- check ------------------------------------------------------------------------------------


def test_check_valid_ems_number_prints_service_ems_and_origin_china() -> None:
    result = cli("check", TEA)
    assert result.code == 0
    assert TEA in result.out and "valid" in result.out
    assert "EMS" in result.out
    assert "China" in result.out
    assert result.err == ""


def test_check_wrong_check_digit_exits_3_and_names_the_right_digit() -> None:
    result = cli("check", WRONG_DIGIT)
    assert result.code == 3
    assert "INVALID" in result.out
    assert "implies 5" in result.out
    assert TEA in result.out  # the suggested fix


def test_check_several_numbers_reports_each_and_exits_3_if_any_is_invalid() -> None:
    other = make_number("RR", "00000001", "DE")
    result = cli("check", TEA, WRONG_DIGIT, other)
    assert result.code == 3
    lines = result.out.splitlines()
    assert lines[0].startswith(f"{TEA}  valid")
    assert any(line.startswith(f"{WRONG_DIGIT}  INVALID") for line in lines)
    assert any(line.startswith(f"{other}  valid") for line in lines)
    assert "Germany" in result.out


def test_check_several_valid_numbers_typed_loosely_exit_0() -> None:
    result = cli("check", "ee 1234 5678 5cn", "EE-123-456-785-CN")
    assert result.code == 0
    assert result.out.count(f"{TEA}  valid") == 2


def test_check_non_s10_number_is_accepted_as_another_carriers_number() -> None:
    result = cli("check", "1Z999AA10123456784")
    assert result.code == 0
    assert "1Z999AA10123456784" in result.out
    assert "not an S10 number" in result.out


def test_check_too_short_number_exits_3_and_says_why() -> None:
    result = cli("check", "XX")
    assert result.code == 3
    assert "too short" in result.out


# ---- add / list / remove ----------------------------------------------------------------------


def test_add_normalises_the_number_and_list_json_shows_it_with_its_label(
        config_file: Path) -> None:
    result = cli("add", "ee 1234 5678 5cn", "--label", "Tea")
    assert result.code == 0, result.err
    assert TEA in result.out
    parcels = listed()
    assert [(p["number"], p["label"]) for p in parcels] == [(TEA, "Tea")]
    assert parcels[0]["status"] is None  # never refreshed yet
    on_disk = tomllib.loads(config_file.read_text(encoding="utf-8"))
    assert on_disk["parcels"] == [
        {"number": TEA, "label": "Tea", "added": on_disk["parcels"][0]["added"]}]
    assert config_file.with_name("config.toml.bak").is_file()


def test_add_keeps_the_previous_version_as_bak(config_file: Path) -> None:
    assert cli("add", TEA, "--label", "Tea").code == 0
    before = config_file.read_bytes()
    second = make_number("EE", "00000001", "CN")
    assert cli("add", second, "--note", "from the seller", "--interval", "90m",
               "--provider", "ems").code == 0
    assert config_file.with_name("config.toml.bak").read_bytes() == before
    entry = tomllib.loads(config_file.read_text(encoding="utf-8"))["parcels"][1]
    assert entry["number"] == second
    assert entry["note"] == "from the seller"
    assert entry["provider"] == "ems"
    assert [p["interval"] for p in listed()] == [None, 5400]


def test_add_duplicate_is_refused_with_exit_2_naming_the_existing_label(
        config_file: Path) -> None:
    assert cli("add", TEA, "--label", "Tea").code == 0
    before = config_file.read_bytes()
    result = cli("add", "ee123456785cn", "--label", "Again")
    assert result.code == 2
    assert '"Tea"' in result.err and "already" in result.err
    assert result.out == ""
    assert config_file.read_bytes() == before


def test_duplicate_add_of_a_label_with_an_escape_keeps_the_rest_of_the_message(
        config_file: Path) -> None:
    # A C1 CSI in the label must not swallow the text after it when the line is cleaned.
    assert cli("add", TEA, "--label", "Tea\u009b").code == 0
    result = cli("add", TEA)
    assert result.code == 2
    assert 'as "Tea", parcels[0]. Edit that entry' in result.err


def test_a_label_in_another_encoding_is_kept_visibly_damaged_not_a_write_error(
        config_file: Path) -> None:
    latin1 = b"Th\xe9 vert".decode("utf-8", "surrogateescape")  # as argv delivers it
    result = cli("add", TEA, "--label", latin1)
    assert result.code == 0, result.err
    with config_file.open("rb") as f:
        assert tomllib.load(f)["parcels"][0]["label"] == "Th\ufffd vert"


def test_add_invalid_number_exits_3_and_writes_nothing(config_file: Path) -> None:
    result = cli("add", WRONG_DIGIT, "--label", "Tea")
    assert result.code == 3
    assert "implies 5" in result.err
    assert not config_file.exists()


@pytest.mark.parametrize("interval", ["5x", "0", "-1h", "1h1h"])
def test_add_bad_interval_exits_2_naming_the_option(config_file: Path, interval: str) -> None:
    result = cli("add", TEA, "--interval", interval)
    assert result.code == 2
    assert "--interval" in result.err
    assert not config_file.exists()


def test_add_unknown_provider_is_a_usage_error(config_file: Path) -> None:
    result = cli("add", TEA, "--provider", "dhl")
    assert result.code == 2
    assert "dhl" in result.err
    assert not config_file.exists()


def test_add_to_a_broken_config_exits_2_and_leaves_it_alone(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[refresh]\ninterval = "1h\n', encoding="utf-8")
    result = cli("add", TEA)
    assert result.code == 2
    assert f"{config_file}:2" in result.err
    assert config_file.read_text(encoding="utf-8") == '[refresh]\ninterval = "1h\n'


def test_remove_without_purge_keeps_the_stored_history(config_file: Path) -> None:
    assert cli("add", TEA, "--label", "Tea").code == 0
    store_with_history(TEA)
    result = cli("remove", "ee 123456785 cn")
    assert result.code == 0
    assert "history is kept" in result.out
    assert listed() == []
    assert history_of(TEA) == (2, True)


def test_remove_purge_deletes_the_stored_history_of_that_parcel_only(
        config_file: Path) -> None:
    other = make_number("EE", "00000001", "CN")
    assert cli("add", TEA).code == 0
    assert cli("add", other).code == 0
    store_with_history(TEA)
    store_with_history(other)
    with Store(paths.store_path()) as store:  # both were archived by themselves once
        autoarchive.remember_archived(store, [TEA, other], datetime(2026, 11, 23, tzinfo=UTC))
    result = cli("remove", TEA, "--purge")
    assert result.code == 0
    assert [p["number"] for p in listed()] == [other]
    assert history_of(TEA) == (0, False)
    assert history_of(other) == (2, True)
    with Store(paths.store_path()) as store:  # re-added, it may be archived by itself again
        assert autoarchive.not_yet_archived_by_us(store, [TEA, other]) == [TEA]


def test_remove_unknown_number_exits_2_and_says_it_is_not_watched(config_file: Path) -> None:
    assert cli("add", TEA).code == 0
    before = config_file.read_bytes()
    result = cli("remove", make_number("EE", "00000001", "CN"))
    assert result.code == 2
    assert "not in the watchlist" in result.err
    assert config_file.read_bytes() == before


def test_list_text_shows_stored_status_label_and_archived_flag(config_file: Path) -> None:
    other = make_number("EE", "00000001", "CN")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[[parcels]]\nnumber = "{TEA}"\nlabel = "Tea"\n\n'
        f'[[parcels]]\nnumber = "{other}"\nlabel = "Old"\narchived = true\n', encoding="utf-8")
    store_with_history(TEA)
    result = cli("list")
    assert result.code == 0
    first, second = result.out.splitlines()
    assert first.split() == [TEA, "in_transit", "Tea"]
    assert second.split() == [other, "-", "Old", "(archived)"]
    assert [p["status"] for p in listed()] == ["in_transit", None]
    assert [p["archived"] for p in listed()] == [False, True]


def test_list_without_a_config_file_says_where_it_looked_and_exits_2(
        config_file: Path, tmp_path: Path) -> None:
    result = cli("list")
    assert (result.code, result.out) == (2, "")
    assert str(config_file) in result.err and "emstui config init" in result.err
    typo = tmp_path / "confg.toml"
    mistyped = cli("list", "--config", str(typo))  # --config after the command works too
    assert mistyped.code == 2 and str(typo) in mistyped.err


def test_list_of_an_empty_watchlist_says_how_to_add_one(config_file: Path) -> None:
    assert cli("config", "init").code == 0
    assert listed() == []
    result = cli("list")
    assert (result.code, result.out) == (0, "")
    assert "emstui add NUMBER" in result.err


def test_list_columns_line_up_for_numbers_of_any_length(config_file: Path) -> None:
    for number, label in ((TEA, "Tea"), ("1Z999AA10123456784", "Boots"), ("12345678", "Pen")):
        assert cli("add", number, "--label", label).code == 0
    lines = cli("list").out.splitlines()
    assert [line.index(label) for line, label in zip(lines, ("Tea", "Boots", "Pen"),
                                                     strict=True)] == [len(lines[0]) - 3] * 3


# ---- locate / config --------------------------------------------------------------------------


def test_locate_prints_config_data_and_themes_paths(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_DATA_DIR", str(tmp_path / "data"))
    config = tmp_path / "etc" / "mine.toml"
    assert cli("--config", str(config), "locate", "config").out == f"{config}\n"
    assert cli("locate", "data").out == f"{tmp_path / 'data'}\n"
    assert cli("--config", str(config), "locate", "themes").out == \
        f"{tmp_path / 'etc' / 'themes'}\n"
    assert cli("locate", "config").out == f"{os.environ['EMSTUI_CONFIG']}\n"
    assert cli("locate", "cache").code == 2


def test_config_init_writes_the_example_and_refuses_to_overwrite(config_file: Path) -> None:
    result = cli("config", "init")
    assert result.code == 0
    assert str(config_file) in result.out
    assert config_file.read_text(encoding="utf-8") == starter_config_text()
    config_file.write_text("# mine\n", encoding="utf-8")
    again = cli("config", "init")
    assert again.code == 2
    assert "already exists" in again.err and str(config_file) in again.err
    assert config_file.read_text(encoding="utf-8") == "# mine\n"


def test_config_validate_accepts_the_starter_and_counts_parcels(config_file: Path) -> None:
    assert cli("config", "init").code == 0
    assert cli("config", "validate").out == f"{config_file}: ok, 0 parcels\n"
    assert cli("add", TEA).code == 0 and cli("add", "EA473124829CN").code == 0
    result = cli("config", "validate")
    assert result.code == 0
    assert result.out == f"{config_file}: ok, 2 parcels\n"
    assert cli("remove", TEA).code == 0
    assert cli("config", "validate").out == f"{config_file}: ok, 1 parcel\n"


def test_config_validate_on_a_syntax_error_exits_2_naming_file_and_line(
        config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[refresh]\ninterval = "1h"\ntimeout = "20s\n', encoding="utf-8")
    result = cli("config", "validate")
    assert result.code == 2
    assert f"{config_file}:3" in result.err
    assert result.out == ""


def test_config_validate_on_a_bad_value_names_line_and_key(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text('[refresh]\ninterval = "1h"\nconcurrency = "x"\n', encoding="utf-8")
    result = cli("config", "validate")
    assert result.code == 2
    assert f"{config_file}:3" in result.err
    assert "refresh.concurrency" in result.err


def test_config_validate_warns_about_unknown_keys_on_stderr(config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[[parcels]]\nnumber = "{TEA}"\ncolour = "red"\n', encoding="utf-8")
    result = cli("config", "validate")
    assert result.code == 0
    assert "parcels[0].colour" in result.err and "unknown key" in result.err
    assert "colour" not in result.out


def test_config_validate_without_a_file_exits_2_and_suggests_init(config_file: Path) -> None:
    result = cli("config", "validate")
    assert result.code == 2
    assert "config init" in result.err and str(config_file) in result.err


def test_config_pointing_at_a_directory_is_a_usage_error(tmp_path: Path) -> None:
    result = cli("--config", str(tmp_path), "list")
    assert result.code == 2
    assert "directory" in result.err


# ---- options and usage errors -----------------------------------------------------------------


def test_version_prints_the_version_and_exits_0() -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"emstui {__version__}"


def test_help_lists_the_exit_codes_and_exits_0() -> None:
    result = cli("--help")
    assert result.code == 0
    assert "130 interrupted" in " ".join(result.out.split())


@pytest.mark.parametrize("flag", ["--json", "--changed", "--all"])
def test_once_only_flags_without_once_are_a_usage_error(flag: str) -> None:
    result = cli(flag)
    assert result.code == 2
    assert "go with --once" in result.err
    assert result.out == ""


@pytest.mark.parametrize("argv", [["--once", "list"], ["--demo", "--once"],
                                  ["--demo", "check", TEA], ["frobnicate"], ["check"],
                                  ["list", "--json", "extra"]])
def test_bad_combinations_and_unknown_commands_exit_2_with_usage_on_stderr(
        argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert "usage: emstui" in result.err
    assert result.out == ""


def test_list_json_is_not_the_once_json_flag() -> None:
    # `list --json` belongs to the subcommand; a top-level --json before it is a usage error
    # that says where the option goes.
    assert cli("config", "init").code == 0
    assert cli("list", "--json").code == 0
    misplaced = cli("--json", "list")
    assert misplaced.code == 2 and "emstui list --json" in misplaced.err


# ---- as the shell sees it ---------------------------------------------------------------------


def shell(*argv: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EMSTUI_")}
    env["EMSTUI_CONFIG"] = str(home / "config.toml")
    env["EMSTUI_DATA_DIR"] = str(home / "data")
    return subprocess.run([sys.executable, "-m", "emstui", *argv], capture_output=True,
                          text=True, env=env, timeout=60, check=False)


def test_shell_sees_exit_3_for_an_invalid_number_and_2_for_a_usage_error(
        tmp_path: Path) -> None:
    invalid = shell("check", TEA, WRONG_DIGIT, home=tmp_path)
    assert invalid.returncode == 3
    assert "implies 5" in invalid.stdout
    usage = shell("--json", home=tmp_path)
    assert usage.returncode == 2
    assert "go with --once" in usage.stderr and usage.stdout == ""



def test_a_reader_that_goes_away_gets_no_traceback(tmp_path: Path) -> None:
    numbers = ["EE123456785CN"] * 2000  # far more output than a pipe buffer holds
    proc = subprocess.Popen([sys.executable, "-m", "emstui", "check", *numbers],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.read(10)
    proc.stdout.close()  # like `| head -c 10`
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=30) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


# ---- list --csv -------------------------------------------------------------------------------


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(StringIO(text)))


def test_list_csv_has_a_header_and_one_row_per_parcel_with_its_stored_state(
        config_file: Path) -> None:
    other = make_number("EE", "00000001", "CN")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[[parcels]]\nnumber = "{TEA}"\nlabel = "Tea, green"\nnote = "for \\"Mum\\""\n\n'
        f'[[parcels]]\nnumber = "{other}"\nlabel = "Old"\narchived = true\n', encoding="utf-8")
    store_with_history(TEA)
    result = cli("list", "--csv")
    assert result.code == 0, result.err
    assert result.out.splitlines()[0] == ",".join(COLUMNS)
    tea, old = csv_rows(result.out)
    assert (tea["number"], tea["label"], tea["note"]) == (TEA, "Tea, green", 'for "Mum"')
    assert (tea["status"], tea["stage"]) == ("in_transit", "departed")
    assert tea["last_event_description"] == "Departure from outward office of exchange"
    assert (tea["last_event_time"], tea["last_event_location"]) == \
        ("2026-11-21 10:00", "SHANGHAI, CHINA")
    assert tea["last_checked"] == "2026-11-22T10:00:00+00:00"
    assert (tea["eta_from"], tea["eta_source"], tea["destination"]) == ("", "", "")
    assert tea["archived"] == "false"
    assert (old["number"], old["status"], old["archived"]) == (other, "unknown", "true")
    assert old["last_event_time"] == old["last_checked"] == ""


def test_list_csv_keeps_formulas_and_escapes_out_of_user_and_carrier_text(
        config_file: Path) -> None:
    hostile = make_number("EE", "00000002", "CN")
    labels = {TEA: "=HYPERLINK(\"http://evil.example\",\"x\")", hostile: "@SUM(A1)\x1b[31m"}
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(
        f'[[parcels]]\nnumber = "{TEA}"\nlabel = {json.dumps(labels[TEA])}\nnote = "+1 555"\n\n'
        f'[[parcels]]\nnumber = "{hostile}"\nlabel = {json.dumps(labels[hostile])}\n'
        'note = "-2 days\\u202e late"\n', encoding="utf-8")
    when = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    paths.store_path().parent.mkdir(parents=True, exist_ok=True)
    with Store(paths.store_path()) as store:
        store.apply_tracking(Tracking(hostile, "ems", Status.IN_TRANSIT, Stage.DEPARTED, (
            Event("2026-11-20 10:00", "=cmd|' /C calc'!A0", "-SHANGHAI", "ems",
                  time_utc=when, code="EMC"),)), checked_at=when, next_due=None)
    result = cli("list", "--csv")
    assert result.code == 0, result.err
    tea, moving = csv_rows(result.out)
    assert tea["label"] == "'" + labels[TEA] and tea["note"] == "'+1 555"
    assert moving["label"] == "'@SUM(A1)" and moving["note"] == "'-2 days late"
    assert moving["last_event_description"] == "'=cmd|' /C calc'!A0"
    assert moving["last_event_location"] == "'-SHANGHAI"
    cells = [cell for row in csv.reader(StringIO(result.out)) for cell in row]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@"))]
    assert not [c for c in result.out if c in "\x1b\u202e"]


def test_list_csv_of_an_empty_watchlist_is_the_header_alone(config_file: Path) -> None:
    assert cli("config", "init").code == 0
    result = cli("list", "--csv")
    assert (result.code, result.out) == (0, ",".join(COLUMNS) + "\n")


@pytest.mark.parametrize(("argv", "says"), [
    (["list", "--json", "--csv"], "not allowed with argument"),
    (["--once", "--json", "--csv"], "not allowed with argument"),
    (["--csv", "list"], "emstui list --csv"),
    (["--csv"], "go with --once"),
])
def test_csv_with_json_or_without_its_command_is_a_usage_error(
        argv: list[str], says: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert says in result.err
    assert result.out == ""
