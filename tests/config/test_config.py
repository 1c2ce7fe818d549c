"""The TOML config: validation with precise messages, safe rewrites, conflicts and edits."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
import tomllib
from datetime import date
from pathlib import Path

import pytest

from emstui.config import (
    PROVIDER_IDS,
    Config,
    ConfigConflict,
    ConfigError,
    DuplicateParcel,
    InvalidConfig,
    ParcelNotFound,
    Secret,
    add_parcel,
    dumps_config,
    edit_parcel,
    example_config_text,
    load_config,
    remove_parcel,
    remove_parcels,
    save_config,
    set_archived,
    set_archived_parcels,
    set_theme,
    update_config,
)
from emstui.config import load as cfgmod
from emstui.config import save as savemod
from emstui.config.atomic import atomic_write_bytes
from emstui.core import s10

REPO = Path(__file__).resolve().parents[2]
TEA = "EE123456785CN"
PARTS = "EA473124829CN"
THIRD = s10.make_number("EE", "00000001", "CN")
KEY = "sk-live-0123456789abcdefSECRET"


@pytest.fixture
def cfg_file(tmp_path: Path) -> Path:
    return tmp_path / "conf" / "config.toml"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load_error(path: Path) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    return caught.value


# ---- reading ----------------------------------------------------------------------------------


def test_example_config_loads_without_errors_or_warnings() -> None:
    config = load_config(REPO / "config.example.toml")
    assert config.warnings == []
    assert [p.number for p in config.parcels] == [TEA, PARTS]
    assert config.providers["17track"].api_key_env == "EMSTUI_17TRACK_KEY"
    assert config.parcels[1].interval == 1800 and config.parcels[1].provider == "ems"


def test_example_config_text_is_the_repo_file_in_a_checkout() -> None:
    text = example_config_text()
    assert text == (REPO / "config.example.toml").read_text(encoding="utf-8")
    assert "[[parcels]]" in text


def test_missing_file_gives_defaults_and_exists_false(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    assert config.exists is False and config.fingerprint is None
    assert config.parcels == []
    assert config.refresh.interval == 3600 and config.refresh.delivered_interval is None
    assert config.refresh.concurrency == 4 and config.refresh.timeout == 20
    assert config.refresh.max_backoff == 7200
    assert config.display.theme == "emstui-dark" and config.display.timezone == "local"
    assert config.provider_order == ["17track", "ems"]
    assert set(config.providers) == set(PROVIDER_IDS)
    assert not cfg_file.parent.exists()


def test_load_without_path_uses_emstui_config_env(isolated_home: Path) -> None:
    target = Path(os.environ["EMSTUI_CONFIG"])
    write(target, f'[[parcels]]\nnumber = "{TEA}"\n')
    assert load_config().path == target
    assert load_config().parcels[0].number == TEA


def test_values_are_typed_and_durations_in_seconds(cfg_file: Path) -> None:
    write(cfg_file, """
[refresh]
interval = "1h30m"
delivered_interval = "2d"
concurrency = 8
max_backoff = 600
timeout = "45s"

[display]
theme = "mine"
timezone = "Asia/Shanghai"
show_archived = true
bell = true

[providers]
order = ["ems"]

[providers.ems]
base_url = "http://127.0.0.1:8080/api/publicTracking/track"

[keys]
refresh_all = "ctrl+r"

[[parcels]]
number = "ee 123 456 785 cn"
label = "Tea"
note = "line one"
interval = "30m"
provider = "ems"
archived = true
added = 2026-11-20
""")
    config = load_config(cfg_file)
    assert (config.refresh.interval, config.refresh.delivered_interval) == (5400, 172_800)
    assert (config.refresh.concurrency, config.refresh.max_backoff) == (8, 600)
    assert config.refresh.timeout == 45
    assert config.display.zone() is not None and config.display.show_archived
    assert config.provider_order == ["ems"]
    assert config.providers["ems"].base_url.startswith("http://127.0.0.1")
    assert config.keys == {"refresh_all": "ctrl+r"}
    parcel = config.parcels[0]
    assert parcel.number == TEA  # stored normalised
    assert (parcel.interval, parcel.provider, parcel.archived) == (1800, "ems", True)
    assert parcel.added == date(2026, 11, 20)
    assert config.parcel("EE 123 456 785 cn") is parcel
    assert config.parcel(PARTS) is None


def test_syntax_error_names_file_line_and_column(cfg_file: Path) -> None:
    write(cfg_file, '[refresh]\ninterval = "1h"\ntimeout = 20 s\n')
    error = load_error(cfg_file)
    assert (error.line, error.column) == (3, 14)
    assert str(error).startswith(f"{cfg_file}:3:14: invalid TOML")
    assert "quotes" in str(error)  # says what to do


def test_unterminated_string_says_end_of_file(cfg_file: Path) -> None:
    write(cfg_file, '[[parcels]]\nnumber = "EE12\n')
    message = str(load_error(cfg_file))
    assert str(cfg_file) in message and "invalid TOML" in message


def test_bad_number_error_has_key_path_line_and_the_s10_message(cfg_file: Path) -> None:
    write(cfg_file, f"""[[parcels]]
number = "{TEA}"

[[parcels]]
label = "Typo"
number = "EE123456786CN"
""")
    with pytest.raises(s10.InvalidNumber) as s10_error:
        s10.parse("EE123456786CN")
    error = load_error(cfg_file)
    assert error.key == "parcels[1].number"
    assert error.line == 6
    message = str(error)
    assert message.startswith(f"{cfg_file}:6: parcels[1].number: ")
    assert str(s10_error.value) in message
    assert "remove this [[parcels]] entry" in message


def test_duplicate_numbers_after_normalisation_name_both_entries(cfg_file: Path) -> None:
    write(cfg_file, f"""[[parcels]]
number = "ee 123 456 785 cn"
label = "Tea from Hangzhou"

[[parcels]]
number = "{PARTS}"

[[parcels]]
number = "{TEA}"
label = "Tea again"
""")
    error = load_error(cfg_file)
    message = str(error)
    assert error.key == "parcels[2].number"
    assert f"{TEA} is listed twice" in message
    assert 'parcels[0] ("Tea from Hangzhou", line 1)' in message
    assert 'parcels[2] ("Tea again", line 8)' in message
    assert "Remove one" in message


def test_every_problem_is_reported_at_once(cfg_file: Path) -> None:
    write(cfg_file, """[refresh]
interval = "soon"

[[parcels]]
number = "EE123456786CN"
""")
    with pytest.raises(InvalidConfig) as caught:
        load_config(cfg_file)
    keys = [e.key for e in caught.value.errors]
    assert keys == ["refresh.interval", "parcels[0].number"]
    message = str(caught.value)
    assert message.startswith(f"{cfg_file}: 2 problems:")
    assert "line 2: refresh.interval: 'soon' is not a duration" in message
    assert "line 5: parcels[0].number:" in message


def test_bad_duration_names_key_and_accepted_forms(cfg_file: Path) -> None:
    write(cfg_file, '[refresh]\ntimeout = 0\n')
    message = str(load_error(cfg_file))
    assert f"{cfg_file}:2: refresh.timeout:" in message
    assert '"1h30m"' in message and "3600" in message


def test_bad_parcel_interval_is_an_error_with_its_key_path(cfg_file: Path) -> None:
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\ninterval = "fast"\n')
    assert load_error(cfg_file).key == "parcels[0].interval"


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[providers]\norder = ["ems", "dhl"]\n', "providers.order[1]", "unknown provider 'dhl'"),
        ('[providers]\norder = ["ems", "ems"]\n', "providers.order[1]", "listed twice"),
        ('[providers]\norder = []\n', "providers.order", "list of providers"),
        (f'[[parcels]]\nnumber = "{TEA}"\nprovider = "ups"\n', "parcels[0].provider",
         "Known providers: 17track, ems"),
    ],
)
def test_unknown_provider_ids_are_errors(
    cfg_file: Path, text: str, key: str, fragment: str
) -> None:
    write(cfg_file, text)
    error = load_error(cfg_file)
    assert error.key == key
    assert fragment in str(error)


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('[refresh]\nconcurrency = "4"\n', "refresh.concurrency",
         "without quotes: concurrency = 4"),
        ("[refresh]\nconcurrency = 17\n", "refresh.concurrency", "from 1 to 16"),
        ("[refresh]\nconcurrency = true\n", "refresh.concurrency", "got a boolean"),
        ('[display]\nshow_archived = "true"\n', "display.show_archived", "without quotes"),
        ("[display]\nbell = 1\n", "display.bell", "expected true or false"),
        ("[display]\ntheme = 3\n", "display.theme", "expected a theme name"),
        ('[display]\ntimezone = "Europe/Pari"\n', "display.timezone", "'Europe/Paris'"),
        ("refresh = 5\n", "refresh", "a [refresh] section"),
        (f'parcels = ["{TEA}"]\n', "parcels[0]", "[[parcels]] block"),
        ("parcels = 5\n", "parcels", "[[parcels]] block"),
        ('[[parcels]]\nlabel = "no number"\n', "parcels[0]", "no number"),
        (f"[[parcels]]\nnumber = {TEA[2:11]}\n", "parcels[0].number", "Quote it"),
        (f'[[parcels]]\nnumber = "{TEA}"\nadded = "soon"\n', "parcels[0].added", "a date"),
        (f'[[parcels]]\nnumber = "{TEA}"\nlabel = 5\n', "parcels[0].label", "a string"),
        ("[keys]\nquit = 5\n", "keys.quit", "key name"),
        ('[providers.ems]\nbase_url = "ftp://x"\n', "providers.ems.base_url", "https://"),
        ('[providers.ems]\nbase_url = "http://example.com/"\n', "providers.ems.base_url",
         "loopback"),
    ],
)
def test_wrong_types_and_values_say_what_to_do(
    cfg_file: Path, text: str, key: str, fragment: str
) -> None:
    write(cfg_file, text)
    error = load_error(cfg_file)
    assert error.key == key
    assert fragment in str(error)
    assert str(error).startswith(str(cfg_file))


def test_config_path_that_is_a_directory_is_a_clear_error(cfg_file: Path) -> None:
    cfg_file.mkdir(parents=True)
    message = str(load_error(cfg_file))
    assert "is a directory" in message and str(cfg_file / "config.toml") in message


def test_unreadable_file_says_permission_denied(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(cfg_file, "")

    def denied(*args: object, **kwargs: object) -> None:
        raise PermissionError(errno.EACCES, "Permission denied", str(cfg_file))

    monkeypatch.setattr(cfgmod, "open", denied, raising=False)
    message = str(load_error(cfg_file))
    assert message.startswith(f"{cfg_file}: cannot read the file: permission denied")
    assert "ls -l" in message


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root reads any file")
def test_unreadable_file_for_real(cfg_file: Path) -> None:
    write(cfg_file, "")
    cfg_file.chmod(0)
    assert "permission denied" in str(load_error(cfg_file))


def test_invalid_utf8_names_line_and_column(cfg_file: Path) -> None:
    cfg_file.parent.mkdir(parents=True)
    cfg_file.write_bytes(b'[[parcels]]\nnumber = "EE123456785CN"\nlabel = "Th\xe9"\n')
    error = load_error(cfg_file)
    assert (error.line, error.column) == (3, 12)
    assert "not valid UTF-8" in str(error) and "0xe9" in str(error)


def test_utf8_bom_is_tolerated(cfg_file: Path) -> None:
    cfg_file.parent.mkdir(parents=True)
    cfg_file.write_bytes(f'\ufeff[[parcels]]\nnumber = "{TEA}"\n'.encode())
    assert load_config(cfg_file).parcels[0].number == TEA


def test_ten_megabyte_config_is_refused_with_a_clear_message(cfg_file: Path) -> None:
    cfg_file.parent.mkdir(parents=True)
    cfg_file.write_bytes(b"# padding\n" * 1_000_000)
    message = str(load_error(cfg_file))
    assert "the file is 9.5 MB" in message and "up to 2 MB" in message
    assert "config.toml.bak" in message


def test_size_cap_boundary(cfg_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text = f'[[parcels]]\nnumber = "{TEA}"\n'
    write(cfg_file, text)
    monkeypatch.setattr(cfgmod, "MAX_CONFIG_BYTES", len(text))
    assert load_config(cfg_file).parcels[0].number == TEA
    monkeypatch.setattr(cfgmod, "MAX_CONFIG_BYTES", len(text) - 1)
    assert "reads config files up to" in str(load_error(cfg_file))


def test_unknown_keys_warn_with_key_path_and_suggestion(cfg_file: Path) -> None:
    write(cfg_file, f"""colour = "blue"

[refresh]
intervall = "2h"

[[parcels]]
number = "{TEA}"
order_id = 17

[[parcels]]
number = "{PARTS}"
order_id = 18
""")
    config = load_config(cfg_file)
    assert config.warnings == [
        f"{cfg_file}:1: colour: unknown key; kept as is",
        f"{cfg_file}:4: refresh.intervall: unknown key (did you mean 'interval'?); kept as is",
        f"{cfg_file}:8: parcels[0].order_id: unknown key (and in 1 more entries); kept as is",
    ]
    assert config.refresh.interval == 3600  # the misspelt key did not count


def test_ems_provider_for_a_non_ems_number_warns(cfg_file: Path) -> None:
    registered = s10.make_number("RR", "12345678", "CN")
    write(cfg_file, f'[[parcels]]\nnumber = "{registered}"\nprovider = "ems"\n')
    (warning,) = load_config(cfg_file).warnings
    assert "parcels[0].provider" in warning and "never update" in warning


# ---- the API key ------------------------------------------------------------------------------


def test_secret_never_shows_its_value() -> None:
    secret = Secret(KEY)
    assert repr(secret) == str(secret) == f"{secret}" == "Secret('***')"
    assert secret.reveal() == KEY
    assert secret == Secret(KEY) and secret != Secret("other")


def test_api_key_from_environment_is_resolved_at_load_and_never_written(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MY_17TRACK", KEY)
    write(cfg_file, '[providers.17track]\napi_key_env = "MY_17TRACK"\n')
    config = load_config(cfg_file)
    key = config.provider_key("17track")
    assert key is not None and key.reveal() == KEY
    assert config.provider_key("ems") is None
    add_parcel(config, TEA)
    save_config(config)
    assert KEY not in cfg_file.read_text()
    assert stat.S_IMODE(cfg_file.stat().st_mode) == 0o644  # no key in the file itself


def test_environment_key_wins_over_key_in_file(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(cfg_file, f'[providers.17track]\napi_key_env = "K"\napi_key = "{KEY}"\n')
    assert load_config(cfg_file).provider_key("17track") == Secret(KEY)
    monkeypatch.setenv("K", "from-env")
    assert load_config(cfg_file).provider_key("17track") == Secret("from-env")


def test_api_key_never_appears_in_repr_errors_or_warnings(cfg_file: Path) -> None:
    write(cfg_file, f"""[providers.17track]
api_key = "{KEY}"
apikey = "{KEY}"

[providers.ems]
api_key = "{KEY}"

[[parcels]]
number = "{TEA}"
""")
    config = load_config(cfg_file)
    assert config.provider_key("17track") == Secret(KEY)
    assert KEY not in repr(config)
    assert KEY not in " ".join(config.warnings)
    assert any("providers.ems.api_key: unknown key" in w for w in config.warnings)

    for text in (
        f'[providers.17track]\napi_key = ["{KEY}"]\n',
        f'[providers.17track]\napi_key = "{KEY}\n',  # unterminated string
        f'[providers.17track]\napi_key_env = "{KEY}!"\n',  # the key pasted in the wrong place
        f'[providers.17track]\napi_key = "{KEY}"\napi_key = "{KEY}"\n',
    ):
        write(cfg_file, text)
        error = load_error(cfg_file)
        assert KEY not in str(error) and KEY not in repr(error)


def test_file_holding_a_key_is_written_0600_and_its_bak_too(cfg_file: Path) -> None:
    write(cfg_file, f'[providers.17track]\napi_key = "{KEY}"\n')
    cfg_file.chmod(0o644)
    config = load_config(cfg_file)
    assert any("chmod 600" in w for w in config.warnings)
    add_parcel(config, TEA)
    save_config(config)
    assert stat.S_IMODE(cfg_file.stat().st_mode) == 0o600
    bak = cfg_file.with_name("config.toml.bak")
    assert stat.S_IMODE(bak.stat().st_mode) == 0o600
    assert load_config(cfg_file).provider_key("17track") == Secret(KEY)


# ---- writing ----------------------------------------------------------------------------------


def test_unknown_keys_survive_a_save_and_load_round_trip(cfg_file: Path) -> None:
    write(cfg_file, """colour = "blue"

[plugins]
x = [1, 2]

[refresh]
interval = "90m"
future_setting = { a = 1 }

[providers]
dhl = { key = "k" }

[providers.17track]
region = "eu"

[[parcels]]
number = "ee 123 456 785 cn"
label = "Tea"
order_id = 17
""")
    config = load_config(cfg_file)
    add_parcel(config, PARTS, label="Parts")
    save_config(config)
    saved = tomllib.loads(cfg_file.read_text())
    assert saved["colour"] == "blue" and saved["plugins"] == {"x": [1, 2]}
    assert saved["refresh"] == {"interval": "90m", "future_setting": {"a": 1}}
    assert saved["providers"] == {"dhl": {"key": "k"}, "17track": {"region": "eu"}}
    assert saved["parcels"] == [
        {"number": "ee 123 456 785 cn", "label": "Tea", "order_id": 17},  # user's spelling kept
        {"number": PARTS, "label": "Parts"},
    ]
    reloaded = load_config(cfg_file)
    assert reloaded.parcels[0].extra == {"order_id": 17}
    assert reloaded.refresh.extra == {"future_setting": {"a": 1}}
    assert reloaded.extra == {"colour": "blue", "plugins": {"x": [1, 2]}}


def test_save_writes_only_what_the_file_had_plus_changes(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA, label="Tea", added=date(2026, 11, 20))
    save_config(config)
    saved = tomllib.loads(cfg_file.read_text())
    assert saved == {"parcels": [{"number": TEA, "label": "Tea", "added": date(2026, 11, 20)}]}


def test_changed_settings_are_written_in_the_readable_form(cfg_file: Path) -> None:
    write(cfg_file, '[refresh]\ninterval = "90m"\n')
    config = load_config(cfg_file)
    config.refresh.interval = 7200
    config.refresh.max_backoff = 5400
    config.refresh.delivered_interval = 86_400
    save_config(config)
    assert tomllib.loads(cfg_file.read_text())["refresh"] == {
        "interval": "2h", "max_backoff": "1h30m", "delivered_interval": "1d"}


def test_saved_file_starts_with_the_rewrite_header(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    save_config(config)
    head = cfg_file.read_text().splitlines()[:5]
    assert all(line.startswith("#") for line in head)
    text = "\n".join(head)
    assert "comments are NOT kept" in text and "`label` and `note`" in text
    assert "config.toml.bak" in text


def test_parcels_are_written_as_blocks_and_multiline_notes_round_trip(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    add_parcel(config, PARTS, note='first line\nsecond "quoted" line\\')
    save_config(config)
    text = cfg_file.read_text()
    assert text.count("[[parcels]]") == 2 and "parcels = [" not in text
    assert load_config(cfg_file).parcels[1].note == 'first line\nsecond "quoted" line\\'


def test_bak_holds_the_previous_content(cfg_file: Path) -> None:
    original = f'# my precious comment\n[[parcels]]\nnumber = "{TEA}"\n'
    write(cfg_file, original)
    config = load_config(cfg_file)
    add_parcel(config, PARTS)
    save_config(config)
    assert cfg_file.with_name("config.toml.bak").read_text() == original
    second = cfg_file.read_text()
    config = load_config(cfg_file)
    remove_parcel(config, PARTS)
    save_config(config)
    assert cfg_file.with_name("config.toml.bak").read_text() == second


def test_saving_unchanged_content_does_not_touch_the_file_or_bak(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    save_config(config)
    before = cfg_file.stat().st_mtime_ns
    config = load_config(cfg_file)
    save_config(config)
    assert cfg_file.stat().st_mtime_ns == before
    assert not cfg_file.with_name("config.toml.bak").exists()


def test_first_save_creates_private_dir_and_0644_file(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    fingerprint = save_config(config)
    assert stat.S_IMODE(cfg_file.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(cfg_file.stat().st_mode) == 0o644
    assert config.exists and config.fingerprint == fingerprint
    assert load_config(cfg_file).fingerprint == fingerprint


def test_existing_mode_is_kept(cfg_file: Path) -> None:
    write(cfg_file, "").chmod(0o640)
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    save_config(config)
    assert stat.S_IMODE(cfg_file.stat().st_mode) == 0o640


def test_symlinked_config_is_written_through_to_its_target(tmp_path: Path) -> None:
    target = write(tmp_path / "dotfiles" / "emstui.toml", "")
    link = tmp_path / "conf" / "config.toml"
    link.parent.mkdir()
    link.symlink_to(target)
    config = load_config(link)
    add_parcel(config, TEA)
    save_config(config)
    assert link.is_symlink()
    assert load_config(target).parcels[0].number == TEA


def test_failed_write_leaves_original_and_no_temp_file(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = f'[[parcels]]\nnumber = "{TEA}"\n'
    write(cfg_file, original)
    config = load_config(cfg_file)
    add_parcel(config, PARTS)

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(ConfigError) as caught:
        save_config(config)
    message = str(caught.value)
    assert str(cfg_file) in message and "No space left on device" in message
    assert "left unchanged" in message and "disk space" in message
    assert cfg_file.read_text() == original
    assert sorted(p.name for p in cfg_file.parent.iterdir()) == ["config.toml"]


def test_failed_backup_write_also_leaves_everything_as_it_was(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Already rewritten by emstui once (its header): no .orig copy is due, only the .bak.
    original = f'{savemod.HEADER_FIRST_LINE}\n[[parcels]]\nnumber = "{TEA}"\n'
    write(cfg_file, original)
    config = load_config(cfg_file)
    add_parcel(config, PARTS)
    real_fsync = os.fsync
    calls = []

    def fail_second(fd: int) -> None:
        calls.append(fd)
        if len(calls) == 2:  # the .bak's temp file
            raise OSError(errno.EIO, "Input/output error")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fail_second)
    with pytest.raises(ConfigError, match="Input/output error"):
        save_config(config)
    assert cfg_file.read_text() == original
    assert sorted(p.name for p in cfg_file.parent.iterdir()) == ["config.toml"]


def test_read_only_config_dir_is_a_clear_error(
    cfg_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(cfg_file, "")
    config = load_config(cfg_file)
    add_parcel(config, TEA)

    def read_only(*args: object, **kwargs: object) -> tuple[int, str]:
        raise PermissionError(errno.EACCES, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", read_only)
    with pytest.raises(ConfigError) as caught:
        save_config(config)
    message = str(caught.value)
    assert str(cfg_file) in message and "Permission denied" in message
    assert f"{cfg_file.parent} is not writable" in message and "--config" in message
    assert cfg_file.read_text() == ""


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_read_only_config_dir_for_real(cfg_file: Path) -> None:
    write(cfg_file, "")
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    cfg_file.parent.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="not writable"):
            save_config(config)
    finally:
        cfg_file.parent.chmod(0o700)


def test_atomic_write_refuses_to_replace_a_non_regular_file(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match="not a regular file"):
        atomic_write_bytes(fifo, b"x")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# ---- conflicts --------------------------------------------------------------------------------


def test_save_refuses_when_the_file_changed_since_it_was_read(cfg_file: Path) -> None:
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\n')
    config = load_config(cfg_file)
    edited = f'[[parcels]]\nnumber = "{TEA}"\nlabel = "edited in vim"\n'
    write(cfg_file, edited)
    add_parcel(config, PARTS)
    with pytest.raises(ConfigConflict) as caught:
        save_config(config)
    assert str(cfg_file) in str(caught.value) and "changed on disk" in str(caught.value)
    assert cfg_file.read_text() == edited


def test_save_refuses_when_a_missing_file_appeared(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    write(cfg_file, "")
    add_parcel(config, TEA)
    with pytest.raises(ConfigConflict):
        save_config(config)


def test_update_config_applies_the_edit_on_top_of_changes_on_disk(cfg_file: Path) -> None:
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\n')
    seen = load_config(cfg_file).fingerprint
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\n\n[[parcels]]\nnumber = "{THIRD}"\n')
    result = update_config(cfg_file, lambda c: add_parcel(c, PARTS, label="Parts"),
                           expected=seen)
    assert [p.number for p in load_config(cfg_file).parcels] == [TEA, THIRD, PARTS]
    assert result.changed_on_disk is True
    assert result.fingerprint == load_config(cfg_file).fingerprint


def test_update_config_without_outside_changes(cfg_file: Path) -> None:
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\n')
    seen = load_config(cfg_file).fingerprint
    result = update_config(cfg_file, lambda c: set_archived(c, TEA), expected=seen)
    assert result.changed_on_disk is False
    assert load_config(cfg_file).parcels[0].archived is True


def test_update_config_reapplies_the_edit_when_the_file_changes_during_it(
    cfg_file: Path,
) -> None:
    write(cfg_file, f'[[parcels]]\nnumber = "{TEA}"\n')
    seen = load_config(cfg_file).fingerprint
    calls = 0

    def edit(config: Config) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:  # another process saves between our load and our save
            other = load_config(cfg_file)
            add_parcel(other, THIRD, label="theirs")
            save_config(other)
        add_parcel(config, PARTS, label="ours")

    update_config(cfg_file, edit, expected=seen)
    assert calls == 2
    labels = {p.number: p.label for p in load_config(cfg_file).parcels}
    assert labels == {TEA: "", THIRD: "theirs", PARTS: "ours"}


def test_update_config_surfaces_a_duplicate_added_elsewhere(cfg_file: Path) -> None:
    seen = load_config(cfg_file).fingerprint
    write(cfg_file, f'[[parcels]]\nnumber = "{PARTS}"\nlabel = "from the CLI"\n')
    with pytest.raises(DuplicateParcel, match='"from the CLI"'):
        update_config(cfg_file, lambda c: add_parcel(c, PARTS), expected=seen)


# ---- edits ------------------------------------------------------------------------------------


def test_add_parcel_normalises_and_refuses_duplicates_naming_the_existing_label(
    cfg_file: Path,
) -> None:
    config = load_config(cfg_file)
    parcel = add_parcel(config, "ee-123 456 785-cn", label="Tea from Hangzhou")
    assert parcel.number == TEA and config.parcels == [parcel]
    with pytest.raises(DuplicateParcel) as caught:
        add_parcel(config, TEA.lower())
    assert caught.value.existing is parcel and caught.value.index == 0
    assert 'already in the watchlist as "Tea from Hangzhou"' in str(caught.value)
    assert isinstance(caught.value, ConfigError)


def test_add_parcel_rejects_bad_numbers_and_fields(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    with pytest.raises(s10.InvalidNumber):
        add_parcel(config, "EE123456786CN")
    with pytest.raises(ValueError, match="interval"):
        add_parcel(config, TEA, interval="soon")
    with pytest.raises(ValueError, match="unknown provider"):
        add_parcel(config, TEA, provider="dhl")
    assert config.parcels == []


def test_edit_parcel_changes_only_given_fields(cfg_file: Path) -> None:
    write(cfg_file, f"""[[parcels]]
number = "{TEA}"
label = "Tea"
note = "keep me"
interval = "30m"
provider = "ems"
""")
    config = load_config(cfg_file)
    edit_parcel(config, TEA, label="Green tea", interval=None)
    save_config(config)
    saved = tomllib.loads(cfg_file.read_text())["parcels"][0]
    assert saved == {"number": TEA, "label": "Green tea", "note": "keep me", "provider": "ems"}


def test_edit_parcel_can_fix_a_number_but_not_into_a_duplicate(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA, label="Tea")
    add_parcel(config, PARTS, label="Parts")
    with pytest.raises(DuplicateParcel, match='"Parts"'):
        edit_parcel(config, TEA, new_number=PARTS)
    edit_parcel(config, TEA, new_number=THIRD)
    assert [p.number for p in config.parcels] == [THIRD, PARTS]


def test_remove_archive_and_theme_edits(cfg_file: Path) -> None:
    config = load_config(cfg_file)
    add_parcel(config, TEA)
    add_parcel(config, PARTS)
    assert set_archived(config, "ea 473 124 829 cn").archived is True
    assert set_archived(config, PARTS, False).archived is False
    assert remove_parcel(config, TEA).number == TEA
    assert [p.number for p in config.parcels] == [PARTS]
    with pytest.raises(ParcelNotFound, match=f"{TEA} is not in the watchlist"):
        remove_parcel(config, TEA)
    set_theme(config, "emstui-light")
    save_config(config)
    assert load_config(cfg_file).display.theme == "emstui-light"
    with pytest.raises(ValueError):
        set_theme(config, " ")


def test_rendered_text_reads_back_identically(cfg_file: Path) -> None:
    config = load_config(REPO / "config.example.toml")
    config.path = cfg_file
    assert load_config(write(cfg_file, dumps_config(config))).parcels == config.parcels


def test_s10_warnings_become_config_warnings(cfg_file: Path) -> None:
    odd = s10.make_number("EE", "12345678", "XX")
    write(cfg_file, f'[[parcels]]\nnumber = "{odd}"\n')
    (warning,) = load_config(cfg_file).warnings
    assert warning.startswith(f"{cfg_file}:2: parcels[0].number: {odd}: country code XX")


def test_init_config_writes_a_starter_that_watches_nothing_and_never_overwrites(
        cfg_file: Path) -> None:
    assert savemod.init_config(cfg_file) == cfg_file
    text = cfg_file.read_text(encoding="utf-8")
    assert text == savemod.starter_config_text()
    loaded = load_config(cfg_file)
    assert loaded.warnings == [] and loaded.parcels == [] and loaded.source == {}
    assert "emstui add" in text and "emstui config example" in text
    # Every setting of the reference is there, commented out with its default.
    for line in example_config_text().splitlines():
        if line.strip() and not line.startswith("#"):
            assert f"# {line}" in text
    assert '# number = "EE123456785CN"' in text
    with pytest.raises(ConfigError, match="already exists"):
        savemod.init_config(cfg_file)


def test_example_config_text_prefers_the_copy_bundled_in_the_wheel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path / "_data" / "config.example.toml", "# bundled copy\n")
    monkeypatch.setattr(savemod.importlib.resources, "files", lambda package: tmp_path)
    assert example_config_text() == "# bundled copy\n"


def test_archive_delivered_after_is_off_by_default_a_duration_or_off(cfg_file: Path) -> None:
    write(cfg_file, '[refresh]\ninterval = "1h"\n')
    assert load_config(cfg_file).refresh.archive_delivered_after is None
    write(cfg_file, '[refresh]\narchive_delivered_after = "14d"\n')
    config = load_config(cfg_file)
    assert config.refresh.archive_delivered_after == 14 * 86_400
    save_config(config)  # written back as the user wrote it
    assert tomllib.loads(cfg_file.read_text())["refresh"]["archive_delivered_after"] == "14d"
    write(cfg_file, '[refresh]\narchive_delivered_after = "off"\n')
    assert load_config(cfg_file).refresh.archive_delivered_after is None


@pytest.mark.parametrize(("value", "fragment"), [
    ('"0s"', "not longer than zero"),
    ('"fortnight"', '"off"'),
    ("true", "expected"),
])
def test_bad_archive_delivered_after_names_the_line_and_the_fix(
        cfg_file: Path, value: str, fragment: str) -> None:
    write(cfg_file, f'[refresh]\narchive_delivered_after = {value}\n')
    error = load_error(cfg_file)
    assert error.key == "refresh.archive_delivered_after"
    assert f"{cfg_file}:2: refresh.archive_delivered_after:" in str(error)
    assert fragment in str(error)


def test_bulk_archive_unarchive_and_remove_skip_numbers_no_longer_watched(
        tmp_path: Path) -> None:
    config = Config(path=tmp_path / "config.toml")
    add_parcel(config, TEA)
    add_parcel(config, PARTS)
    gone = "RR473124829CN"  # removed in the file meanwhile: skipped, not an error
    assert set_archived_parcels(config, [TEA, gone, PARTS], True) == [TEA, PARTS]
    assert set_archived_parcels(config, [TEA], True) == []  # already archived
    assert set_archived_parcels(config, [PARTS, gone], False) == [PARTS]
    assert [p.archived for p in config.parcels] == [True, False]
    assert remove_parcels(config, [gone, PARTS]) == [PARTS]
    assert [p.number for p in config.parcels] == [TEA]
