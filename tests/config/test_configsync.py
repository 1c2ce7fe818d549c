"""ConfigKeeper: edits through the safe writer, on-disk changes noticed and described."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from emstui.config import (
    ConfigError,
    add_parcel,
    load_config,
    set_archived,
    update_config,
)
from emstui.config.keeper import ConfigKeeper, diff_configs

A = "EE123456785CN"
B = "EA473124829CN"
C = "RR314159268CN"


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(f'[[parcels]]\nnumber = "{A}"\nlabel = "Tea"\n', encoding="utf-8")
    return path


def _labels(path: Path) -> dict[str, str]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {p["number"]: p.get("label", "") for p in data.get("parcels", [])}


def test_edit_saves_and_keeps_a_backup(config_file: Path) -> None:
    keeper = ConfigKeeper(config_file, load_config(config_file))
    _, outside = keeper.edit(lambda c: add_parcel(c, B, label="Lens"))
    assert outside is None
    assert _labels(config_file) == {A: "Tea", B: "Lens"}
    assert config_file.with_name("config.toml.bak").exists()
    assert keeper.config.parcel(B) is not None


def test_edit_after_an_outside_change_is_applied_on_top_and_described(
        config_file: Path) -> None:
    keeper = ConfigKeeper(config_file, load_config(config_file))
    # Another process (`emstui add` in another shell) changes the file meanwhile.
    other = load_config(config_file)
    update_config(config_file, lambda c: add_parcel(c, C, label="Letter"),
                  expected=other.fingerprint)
    _, outside = keeper.edit(lambda c: set_archived(c, A, True))
    assert _labels(config_file) == {A: "Tea", C: "Letter"}
    assert load_config(config_file).parcel(A).archived
    assert outside is not None and outside.added == (C,)


def test_poll_notices_a_hand_edit_and_says_what_changed(config_file: Path) -> None:
    keeper = ConfigKeeper(config_file, load_config(config_file))
    assert keeper.poll() is None
    config_file.write_text(f'[[parcels]]\nnumber = "{A}"\nlabel = "Green tea"\n'
                           f'[[parcels]]\nnumber = "{B}"\n', encoding="utf-8")
    polled = keeper.poll()
    assert polled is not None
    config, diff = polled
    assert diff.added == (B,) and diff.edited == (A,)
    assert config.parcel(A).label == "Green tea"
    assert keeper.poll() is None


def test_poll_ignores_a_touch_without_changes(config_file: Path) -> None:
    keeper = ConfigKeeper(config_file, load_config(config_file))
    stat = config_file.stat()
    os.utime(config_file, ns=(stat.st_atime_ns, stat.st_mtime_ns + 5_000_000_000))
    assert keeper.poll() is None


def test_poll_of_a_broken_file_raises_and_keeps_the_running_config(config_file: Path) -> None:
    keeper = ConfigKeeper(config_file, load_config(config_file))
    config_file.write_text("[[parcels]\nnumber = ", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        keeper.poll()
    assert str(config_file) in info.value.describe()
    assert keeper.config.parcel(A) is not None
    assert keeper.poll() is None  # reported once, not on every poll


def test_diff_describes_each_kind_of_change(config_file: Path) -> None:
    old = load_config(config_file)
    new = load_config(config_file)
    add_parcel(new, B)
    new.refresh.interval = 60 * 60 * 2
    diff = diff_configs(old, new)
    assert diff.describe() == "1 added, settings changed"
    assert diff_configs(old, old).empty
