"""Keeps a running program's config in step with the file: edits go through the safe writer,
changes made on disk by someone else are noticed, reloaded and described.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from emstui.config import Config, ConfigError, load_config, update_config


@dataclass(frozen=True, slots=True)
class ConfigDiff:
    """What changed between two configs, in words a notification can use."""

    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    edited: tuple[str, ...] = ()
    settings_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.edited or self.settings_changed)

    def describe(self) -> str:
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} added")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.edited:
            parts.append(f"{len(self.edited)} edited")
        if self.settings_changed:
            parts.append("settings changed")
        return ", ".join(parts) or "no changes"


def diff_configs(old: Config, new: Config) -> ConfigDiff:
    before = {p.number: p for p in old.parcels}
    after = {p.number: p for p in new.parcels}
    added = tuple(n for n in after if n not in before)
    removed = tuple(n for n in before if n not in after)
    edited = tuple(n for n in after if n in before and after[n] != before[n])
    settings = (old.refresh != new.refresh or old.display != new.display
                or old.provider_order != new.provider_order or old.providers != new.providers
                or old.keys != new.keys)
    return ConfigDiff(added, removed, edited, settings)


def _fingerprint(path: Path) -> str | None:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except FileNotFoundError:
        return None


@dataclass
class ConfigKeeper:
    """The config a program runs with, and the file it came from."""

    path: Path
    config: Config
    _stat: tuple[int, int, int] | None = field(default=None, init=False)

    def __post_init__(self) -> None:
        self._stat = self._file_stat()

    def _file_stat(self) -> tuple[int, int, int] | None:
        try:
            st = self.path.stat()
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def edit(self, change: Callable[[Config], object]) -> tuple[Config, ConfigDiff | None]:
        """Apply an edit through the atomic, conflict-checked writer.

        When the file changed on disk since it was read, the edit is re-applied on top of the
        new file (never clobbering it); the second value then describes what the other writer
        changed, so the caller can say so.
        """
        old = self.config
        new = update_config(self.path, change, expected=old.fingerprint)
        outside = self._outside_changes(old, new, change) if new.changed_on_disk else None
        self.config = new
        self._stat = self._file_stat()
        return new, outside

    def _outside_changes(self, old: Config, new: Config,
                         change: Callable[[Config], object]) -> ConfigDiff:
        # What the other writer did = the new file minus our own edit. Re-apply our edit to
        # the config as we had it and compare that with what was saved.
        ours = copy.deepcopy(old)
        try:
            change(ours)
        except (ConfigError, ValueError):
            return diff_configs(old, new)
        return diff_configs(ours, new)

    def poll(self) -> tuple[Config, ConfigDiff] | None:
        """Reload when the file changed on disk; returns the new config and what changed.

        Raises ConfigError when the changed file is broken (the running config stays).
        """
        stat = self._file_stat()
        if stat == self._stat:
            return None
        self._stat = stat
        if _fingerprint(self.path) == self.config.fingerprint:
            return None  # touched, not changed
        new = load_config(self.path)
        diff = diff_configs(self.config, new)
        self.config = new
        return new, diff
