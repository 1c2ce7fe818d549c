"""Where emstui finds its config, history database and user themes."""

from __future__ import annotations

from pathlib import Path

import pytest

from emstui.config import paths


def test_cli_path_wins_over_env_and_default(tmp_path: Path, isolated_home: Path) -> None:
    chosen = tmp_path / "elsewhere" / "my.toml"
    assert paths.config_path(chosen) == chosen
    assert paths.config_path(str(chosen)) == chosen


def test_env_var_wins_over_platform_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("EMSTUI_CONFIG", str(tmp_path / "env.toml"))
    assert paths.config_path() == tmp_path / "env.toml"
    assert paths.config_path(None) == tmp_path / "env.toml"


def test_platform_default_when_neither_is_given(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMSTUI_CONFIG")
    expected = isolated_home / "config" / "emstui" / "config.toml"
    assert paths.config_path() == expected
    assert paths.default_config_path() == expected


def test_empty_env_var_is_ignored(isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_CONFIG", "  ")
    assert paths.config_path() == paths.default_config_path()


def test_relative_and_home_paths_become_absolute(
    tmp_path: Path, isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert paths.config_path("conf/x.toml") == tmp_path / "conf" / "x.toml"
    assert paths.config_path("~/x.toml") == isolated_home / "x.toml"


def test_data_dir_defaults_to_platform_data_dir(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMSTUI_DATA_DIR", raising=False)
    assert paths.data_dir() == isolated_home / "data" / "emstui"
    assert paths.store_path() == isolated_home / "data" / "emstui" / "history.sqlite3"


def test_data_dir_env_var_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EMSTUI_DATA_DIR", str(tmp_path / "demo"))
    assert paths.data_dir() == tmp_path / "demo"
    assert paths.store_path() == tmp_path / "demo" / "history.sqlite3"


def test_user_themes_sit_beside_the_config_file_in_use(tmp_path: Path) -> None:
    assert paths.user_themes_dir(tmp_path / "cfg" / "config.toml") == tmp_path / "cfg" / "themes"


def test_looking_paths_up_creates_nothing(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("EMSTUI_CONFIG")
    monkeypatch.delenv("EMSTUI_DATA_DIR", raising=False)
    paths.config_path()
    paths.store_path()
    assert not (isolated_home / "config" / "emstui").exists()
    assert not (isolated_home / "data" / "emstui").exists()
