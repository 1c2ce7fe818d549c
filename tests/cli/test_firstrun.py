"""A newcomer's first steps, cron conditions and the command line's errors (issue 11).

Shell tests run `python -m emstui` as cron does: no terminal, stdin from /dev/null, a bare
environment with only the EMSTUI_* variables the test sets.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from io import StringIO
from pathlib import Path

import pytest
from clihelpers import cli

from emstui.cli import completion
from emstui.cli.exitcodes import ExitCode
from emstui.cli.parser import build_parser
from emstui.config import HEADER_FIRST_LINE, original_path, starter_config_text

TEA = "EE123456785CN"
REGISTERED = "RR473124829CN"  # a valid S10 number only 17TRACK tracks




@pytest.fixture
def config_file(isolated_home: Path) -> Path:
    return Path(os.environ["EMSTUI_CONFIG"])


def cron_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("EMSTUI_") and k not in ("TERM", "COLUMNS", "LINES")}
    env.update(EMSTUI_CONFIG=str(home / "config.toml"), EMSTUI_DATA_DIR=str(home / "data"))
    env.update(extra)
    return env


def cron(*argv: str, home: Path, stdout: object = subprocess.PIPE,
         **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "emstui", *argv], stdin=subprocess.DEVNULL,
                          stdout=stdout, stderr=subprocess.PIPE, text=True,
                          env=cron_env(home, **env), timeout=60, check=False)


# ---- 1. config init watches nothing; add then works -------------------------------------------


def test_fresh_init_then_once_refreshes_nothing_and_add_of_the_example_number_works(
        config_file: Path) -> None:
    assert cli("config", "init").code == 0
    once = cli("--once", "--json")
    assert once.code == ExitCode.OK
    assert json.loads(once.out)["parcels"] == []
    assert "watchlist is empty" in once.err and "emstui add" in once.err
    added = cli("add", TEA)
    assert added.code == 0, added.err
    assert "added EE123456785CN" in added.out


def test_first_rewrite_keeps_the_hand_written_file_as_orig_and_never_replaces_it(
        config_file: Path) -> None:
    assert cli("config", "init").code == 0
    assert cli("add", TEA).code == 0
    keep = original_path(config_file)
    assert keep.read_text(encoding="utf-8") == starter_config_text()
    rewritten = config_file.read_text(encoding="utf-8")
    assert rewritten.startswith(HEADER_FIRST_LINE)
    assert "emstui config example" in rewritten and keep.name in rewritten
    assert cli("add", "EA473124829CN").code == 0
    assert cli("remove", TEA).code == 0
    assert keep.read_text(encoding="utf-8") == starter_config_text()  # two more edits later


def test_config_example_prints_the_full_reference(config_file: Path) -> None:
    result = cli("config", "example")
    assert result.code == 0
    assert "[[parcels]]" in result.out and 'api_key_env = "EMSTUI_17TRACK_KEY"' in result.out
    assert not config_file.exists()


def test_config_init_on_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    result = cli("--config", str(tmp_path), "config", "init")
    assert result.code == ExitCode.USAGE
    assert "is a directory" in result.err and "already exists" not in result.err


# ---- 2. a parcel no source can track --------------------------------------------------------


def test_without_a_key_every_cron_run_says_it_needs_a_17track_key_with_the_same_code(
        tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[[parcels]]\nnumber = "{REGISTERED}"\n')
    runs = [cron("--once", "--changed", home=tmp_path) for _ in range(3)]
    assert [r.returncode for r in runs] == [ExitCode.NO_SOURCE] * 3
    for r in runs:
        assert r.stdout == ""  # nothing changed: cron mails only stderr
        assert f"{REGISTERED} cannot be tracked: needs a 17TRACK key" in r.stderr
        assert "EMSTUI_17TRACK_KEY is not set" in r.stderr and "api.17track.net" in r.stderr
        assert "Traceback" not in r.stderr


def test_once_json_marks_an_untrackable_parcel_with_kind_no_source(config_file: Path) -> None:
    assert cli("add", REGISTERED, "--label", "Letter").code == 0
    result = cli("--once", "--json")
    assert result.code == ExitCode.NO_SOURCE
    (parcel,) = json.loads(result.out)["parcels"]
    assert parcel["error"]["kind"] == "no_source"
    assert "needs a 17TRACK key" in parcel["error"]["message"]
    assert f"{REGISTERED} (Letter) cannot be tracked" in result.err


def test_without_17track_in_order_the_hint_says_to_add_it_and_no_key_notice_appears(
        config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[providers]\norder = ["ems"]\n\n[[parcels]]\n'
                           f'number = "{REGISTERED}"\n')
    tty = TtyStringIO()
    from emstui.cli.once import run_once

    code = run_once(config_file, as_json=True, out=StringIO(), err=tty)
    assert code == ExitCode.NO_SOURCE
    assert 'Add "17track" to providers.order' in tty.getvalue()
    assert "17TRACK is not used" not in tty.getvalue()  # notices only about sources in use


class TtyStringIO(StringIO):
    def isatty(self) -> bool:
        return True


# ---- 3. no terminal ----------------------------------------------------------------------------


def test_the_monitor_without_a_terminal_exits_2_within_a_second(tmp_path: Path) -> None:
    started = time.monotonic()
    proc = cron(home=tmp_path, stdout=subprocess.DEVNULL)
    assert proc.returncode == ExitCode.USAGE
    assert time.monotonic() - started < 5  # interpreter start included; measured ~0.2 s
    assert "not a terminal: use `emstui --once` for cron and scripts" in proc.stderr


def test_the_monitor_needs_a_terminal_in_process_too() -> None:
    result = cli(terminal=False)
    assert (result.code, result.out) == (ExitCode.USAGE, "")
    assert "not a terminal" in result.err


# ---- 4. paths, permissions, disk full, crashes -------------------------------------------------


def test_a_data_dir_that_is_a_file_is_one_line_with_exit_5(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[[parcels]]\nnumber = "{TEA}"\n')
    blocker = tmp_path / "data"
    blocker.write_text("not a directory")
    proc = cron("--once", home=tmp_path)
    assert proc.returncode == ExitCode.IO, proc.stderr
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
    assert "a file is in the way" in proc.stderr and "EMSTUI_DATA_DIR" in proc.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_a_data_dir_whose_parent_is_not_writable_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[[parcels]]\nnumber = "{TEA}"\n')
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    proc = cron("--once", home=tmp_path, EMSTUI_DATA_DIR=str(locked / "data"))
    assert proc.returncode == ExitCode.IO
    assert "Traceback" not in proc.stderr and "EMSTUI_DATA_DIR" in proc.stderr


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full")
def test_output_to_a_full_disk_is_one_line_with_exit_5(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(f'[[parcels]]\nnumber = "{TEA}"\n')
    with open("/dev/full", "w") as full:
        proc = cron("list", home=tmp_path, stdout=full)
    assert proc.returncode == ExitCode.IO
    assert proc.stderr.startswith("emstui: cannot write the output: No space left on device; "
                                  "free some disk space")
    assert len(proc.stderr.splitlines()) == 1


def test_an_unexpected_error_goes_to_the_log_and_one_line_names_it(
        config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import emstui.cli.main

    def broken(*args: object) -> int:
        raise RuntimeError("a bug")

    monkeypatch.setattr(emstui.cli.main, "cmd_check", broken)
    result = cli("check", TEA)
    assert result.code == ExitCode.INTERNAL
    assert "Traceback" not in result.err and len(result.err.splitlines()) == 1
    log = Path(result.err.split("the details are in ", 1)[1].split(". ", 1)[0])
    assert "RuntimeError: a bug" in log.read_text(encoding="utf-8")
    assert cli("locate", "log").out.strip() == str(log)


# ---- 6. validate runs the app's checks --------------------------------------------------------


@pytest.mark.parametrize(("text", "where", "words"), [
    ('[display]\ntheme = "emstui-drak"\n', ":2: display.theme", 'Did you mean "emstui-dark"'),
    ('[keys]\nrefersh = "f5"\n', ":2: keys.refersh", 'did you mean "refresh"'),
    ('[keys]\nrefresh = "a"\n', ":2: keys.refresh", "already taken"),
    ('[refresh]\ninterval = "1s"\n', ":2", "too short"),
    (f'[[parcels]]\nnumber = "{TEA}"\ninterval = "5m"\n', ":3", "too short"),
    (f'[[parcels]]\nnumber = "{REGISTERED}"\n', ":2: parcels[0].number", "17TRACK key"),
])
def test_validate_rejects_what_the_app_would_with_file_line_and_fix(
        config_file: Path, text: str, where: str, words: str) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(text)
    result = cli("config", "validate")
    assert result.code == ExitCode.USAGE
    assert f"{config_file}{where}" in result.err and words in result.err
    assert result.out == ""


def test_validate_warns_about_a_missing_key_but_passes_with_only_ems_parcels(
        config_file: Path) -> None:
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[[parcels]]\nnumber = "{TEA}"\n')
    result = cli("config", "validate")
    assert result.code == ExitCode.OK
    assert "warning:" in result.err and "EMSTUI_17TRACK_KEY is not set" in result.err


def test_validate_with_a_key_in_the_environment_is_clean(
        config_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_17TRACK_KEY", "k-123")
    config_file.parent.mkdir(parents=True, exist_ok=True)
    config_file.write_text(f'[[parcels]]\nnumber = "{REGISTERED}"\n')
    result = cli("config", "validate")
    assert (result.code, result.err) == (ExitCode.OK, "")


def test_add_refuses_an_interval_below_the_minimum(config_file: Path) -> None:
    result = cli("add", TEA, "--interval", "1m")
    assert result.code == ExitCode.USAGE and "too short" in result.err
    assert not config_file.exists()


# ---- 7. check and add classify input ----------------------------------------------------------


@pytest.mark.parametrize(("argv", "words"), [
    (("hello",), "too short"),
    (("hello", "world"), "too short"),
    (("EE123456785C",), "a letter of the country code is missing"),
    (("EE123456784CN",), "implies 5"),
])
def test_check_refuses_nonsense_and_near_misses_with_exit_3(argv: tuple[str, ...],
                                                            words: str) -> None:
    result = cli("check", *argv)
    assert result.code == ExitCode.INVALID
    assert words in result.out


def test_check_of_a_near_miss_suggests_the_s10_shape() -> None:
    result = cli("check", "EE123456785C")
    assert "2 letters, 8-digit serial, check digit, 2 letters" in result.out


def test_check_names_the_shape_of_another_carriers_number() -> None:
    result = cli("check", "1Z999AA10123456784")
    assert result.code == ExitCode.OK
    assert "a UPS number" in result.out and "only 17TRACK" in result.out


def test_add_refuses_text_that_is_not_a_tracking_number(config_file: Path) -> None:
    result = cli("add", "hello")
    assert result.code == ExitCode.INVALID and "too short" in result.err
    assert not config_file.exists()


# ---- 8. the command line is complete and discoverable ------------------------------------------


def _parsers(parser: argparse.ArgumentParser, path: str = "emstui"
             ) -> list[tuple[str, argparse.ArgumentParser]]:
    found = [(path, parser)]
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                found += _parsers(sub, f"{path} {name}")
    return found


def test_every_option_and_subcommand_has_help_text() -> None:
    missing = []
    for path, parser in _parsers(build_parser()):
        for action in parser._actions:
            if isinstance(action, argparse._SubParsersAction):
                missing += [f"{path} {a.dest}" for a in action._choices_actions if not a.help]
            elif not action.help:
                missing.append(f"{path} {action.dest}")
    assert missing == []


def test_config_init_help_is_its_own() -> None:
    result = cli("config", "init", "--help")
    assert result.code == 0
    assert result.out.startswith("usage: emstui config init")
    assert "starter" in result.out


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_completion_scripts_name_every_command_and_option(shell: str) -> None:
    result = cli("completion", shell)
    assert result.code == 0
    for path, parser in _parsers(build_parser()):
        for name in path.split()[1:]:
            assert name in result.out
        for action in parser._actions:
            for flag in action.option_strings:
                if flag.startswith("--"):
                    assert flag[2:] in result.out, (path, flag)


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_a_new_subcommand_completes_without_touching_the_generator(shell: str) -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    sub.add_parser("frobnicate", help="a subcommand added later").add_argument(
        "--widget-count", help="how many")
    text = completion.script(shell, parser)
    assert "frobnicate" in text and "widget-count" in text


@pytest.mark.parametrize("shell", completion.SHELLS)
def test_completion_scripts_parse_in_their_shell(shell: str, tmp_path: Path) -> None:
    binary = shutil.which(shell)
    if binary is None:
        pytest.skip(f"{shell} is not installed")
    script = tmp_path / f"emstui.{shell}"
    script.write_text(cli("completion", shell).out)
    check = [binary, "-n", str(script)] if shell != "fish" else [binary, "--no-execute",
                                                                  str(script)]
    proc = subprocess.run(check, capture_output=True, text=True, timeout=30, check=False)
    assert proc.returncode == 0, proc.stderr


@pytest.mark.skipif(shutil.which("bash") is None, reason="needs bash")
def test_bash_completion_offers_subcommands_and_their_choices(tmp_path: Path) -> None:
    script = tmp_path / "emstui.bash"
    script.write_text(cli("completion", "bash").out)

    def complete(*words: str) -> list[str]:
        line = " ".join(["emstui", *words])
        probe = (f'source {script}; COMP_WORDS=({line}); COMP_CWORD={len(words)}; '
                 '_emstui_complete; printf "%s\\n" "${COMPREPLY[@]}"')
        proc = subprocess.run(["bash", "-c", probe], capture_output=True, text=True,
                              timeout=30, check=True)
        return proc.stdout.split()

    assert {"check", "add", "config", "completion"} <= set(complete("''"))
    assert complete("config", "''") == ["init", "validate", "example", "-h", "--help"]
    assert complete("locate", "d") == ["data"]
    assert complete("add", "X", "--provider", "''") == ["17track", "ems"]


@pytest.mark.skipif(shutil.which("fish") is None, reason="needs fish")
def test_fish_completion_offers_subcommands_and_their_choices(tmp_path: Path) -> None:
    script = tmp_path / "emstui.fish"
    script.write_text(cli("completion", "fish").out)

    def complete(line: str) -> list[str]:
        proc = subprocess.run(["fish", "--no-config", "-c",
                               f"source {script}; complete -C '{line}'"],
                              capture_output=True, text=True, timeout=30, check=True)
        return [row.split("\t", 1)[0] for row in proc.stdout.splitlines()]

    assert {"check", "add", "config", "completion"} <= set(complete("emstui "))
    assert complete("emstui config ") == ["example", "init", "validate"]
    assert complete("emstui add X --provider ") == ["17track", "ems"]
