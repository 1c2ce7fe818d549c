"""Edits of the watch list and settings: pure changes to a `Config`, for the CLI and the TUI."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal

from emstui.config.errors import DuplicateParcel, ParcelNotFound
from emstui.config.model import KEEP, Config, Parcel, _index_of, _Keep
from emstui.config.schema import _toml_type, _too_often
from emstui.core import s10
from emstui.core.durations import (
    format_duration,
    parse_duration,
)
from emstui.core.politeness import MIN_INTERVAL
from emstui.core.sources import PROVIDER_IDS


def _require(config: Config, number: str) -> int:
    index = _index_of(config, number)
    if index is None:
        raise ParcelNotFound(s10.normalize(number))
    return index


def _check_text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise ValueError(f"{what} must be text, not {_toml_type(value)}")
    return value


def _check_interval(value: int | str | None) -> int | None:
    if value is None:
        return None
    seconds = parse_duration(value, key="interval")
    if problem := _too_often(seconds):
        raise ValueError(f"interval {problem}; use {format_duration(MIN_INTERVAL)} or more")
    return seconds


def check_interval(value: int | str) -> int:
    """Seconds for a parcel interval typed by the user; ValueError when unusable or too short."""
    seconds = _check_interval(value)
    assert seconds is not None
    return seconds


def _check_provider(value: str | None) -> str | None:
    if value is not None and value not in PROVIDER_IDS:
        raise ValueError(f"unknown provider {value!r}: use one of {', '.join(PROVIDER_IDS)}")
    return value


def add_parcel(
    config: Config,
    number: str,
    *,
    label: str = "",
    note: str = "",
    interval: int | str | None = None,
    provider: str | None = None,
    added: date | None = None,
) -> Parcel:
    """Append a parcel. Raises s10.InvalidNumber, DuplicateParcel, or ValueError for a field."""
    value = s10.parse(number).value
    index = _index_of(config, value)
    if index is not None:
        raise DuplicateParcel(value, config.parcels[index], index)
    parcel = Parcel(
        number=value,
        label=_check_text(label, "label"),
        note=_check_text(note, "note"),
        interval=_check_interval(interval),
        provider=_check_provider(provider),
        added=added,
    )
    config.parcels.append(parcel)
    return parcel


def remove_parcel(config: Config, number: str) -> Parcel:
    """Remove and return the parcel; ParcelNotFound when it is not there."""
    return config.parcels.pop(_require(config, number))


def set_archived(config: Config, number: str, archived: bool = True) -> Parcel:
    parcel = config.parcels[_require(config, number)]
    parcel.archived = bool(archived)
    return parcel


def archive_parcels(config: Config, numbers: Iterable[str]) -> list[str]:
    """Archive those of `numbers` still watched and not archived; the ones it archived.

    Numbers no longer in the config are skipped, not an error: the edit may be applied again
    to a file another emstui (or the user) changed meanwhile."""
    return set_archived_parcels(config, numbers, True)


def set_archived_parcels(config: Config, numbers: Iterable[str], archived: bool) -> list[str]:
    """Archive (or unarchive) those of `numbers` still watched that are not so already; the
    ones it changed. Numbers no longer in the config are skipped, as in `archive_parcels`."""
    changed = []
    for number in numbers:
        index = _index_of(config, number)
        if index is not None and config.parcels[index].archived != archived:
            config.parcels[index].archived = archived
            changed.append(config.parcels[index].number)
    return changed


def remove_parcels(config: Config, numbers: Iterable[str]) -> list[str]:
    """Remove those of `numbers` still watched; the ones it removed. Numbers no longer in the
    config are skipped, as in `archive_parcels`."""
    removed = []
    for number in numbers:
        index = _index_of(config, number)
        if index is not None:
            removed.append(config.parcels.pop(index).number)
    return removed


def edit_parcel(
    config: Config,
    number: str,
    *,
    new_number: str | Literal[_Keep.KEEP] = KEEP,
    label: str | Literal[_Keep.KEEP] = KEEP,
    note: str | Literal[_Keep.KEEP] = KEEP,
    interval: int | str | Literal[_Keep.KEEP] | None = KEEP,
    provider: str | Literal[_Keep.KEEP] | None = KEEP,
) -> Parcel:
    """Change the given fields (KEEP leaves one as it is; None clears interval/provider)."""
    index = _require(config, number)
    parcel = config.parcels[index]
    if new_number is not KEEP:
        value = s10.parse(new_number).value
        other = _index_of(config, value)
        if other is not None and other != index:
            raise DuplicateParcel(value, config.parcels[other], other)
        parcel.number = value
    if label is not KEEP:
        parcel.label = _check_text(label, "label")
    if note is not KEEP:
        parcel.note = _check_text(note, "note")
    if interval is not KEEP:
        parcel.interval = _check_interval(interval)
    if provider is not KEEP:
        parcel.provider = _check_provider(provider)
    return parcel


def set_theme(config: Config, theme: str) -> None:
    if not isinstance(theme, str) or not theme.strip():
        raise ValueError("a theme name must be non-empty text")
    config.display.theme = theme
