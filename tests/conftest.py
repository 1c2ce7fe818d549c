"""Shared fixtures: every test runs isolated from the machine's real config and data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point XDG dirs, HOME and EMSTUI_CONFIG at a temp dir so no test touches real files."""
    home = tmp_path / "home"
    for sub in ("config", "data", "cache", "state"):
        (home / sub).mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("EMSTUI_CONFIG", str(home / "config" / "emstui" / "config.toml"))
    for var in ("EMSTUI_17TRACK_KEY", "NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(var, raising=False)
    yield home
