"""Config errors: one exception root (`ConfigError`) whose message names the file, the line or key,
what is wrong and what to do."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from emstui.config.model import Parcel

from pathlib import Path

from emstui.core.sanitize import clean_line


class ConfigError(Exception):
    """A config problem: where (file, line/column or key path), what is wrong, what to do."""

    def __init__(
        self,
        problem: str,
        *,
        path: Path | None = None,
        key: str | None = None,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = problem
        self.path = path
        self.key = key
        self.line = line
        self.column = column
        self.hint = hint
        super().__init__(self.describe())

    def describe(self, *, with_path: bool = True) -> str:
        parts: list[str] = []
        if with_path and self.path is not None:
            where = str(self.path)
            if self.line is not None:
                where += f":{self.line}" + (f":{self.column}" if self.column is not None else "")
            parts.append(where)
        elif self.line is not None:
            parts.append(f"line {self.line}")
        if self.key:
            parts.append(self.key)
        parts.append(self.problem)
        return _sentence(": ".join(parts), self.hint)

    def __str__(self) -> str:
        return self.describe()


class InvalidConfig(ConfigError):
    """Several problems found in one file; ``errors`` holds each of them."""

    MAX_LISTED = 50

    def __init__(self, path: Path, errors: list[ConfigError]) -> None:
        self.errors = errors
        super().__init__(f"{len(errors)} problems", path=path)

    def describe(self, *, with_path: bool = True) -> str:
        head = f"{self.path}: " if with_path and self.path is not None else ""
        lines = [f"{head}{len(self.errors)} problems:"]
        lines += [f"  {e.describe(with_path=False)}" for e in self.errors[: self.MAX_LISTED]]
        if len(self.errors) > self.MAX_LISTED:
            lines.append(f"  ... and {len(self.errors) - self.MAX_LISTED} more")
        return "\n".join(lines)


class ConfigConflict(ConfigError):
    """The file changed on disk since it was read; nothing was written."""


class ConfigWriteError(ConfigError):
    """The file or its directory could not be written (permissions, disk full, ...)."""


class DuplicateParcel(ConfigError):
    """The number is already in the watchlist; ``existing`` is that parcel."""

    def __init__(self, number: str, existing: Parcel, index: int) -> None:
        self.number = number
        self.existing = existing
        self.index = index
        # Cleaned here, not only where the whole line is printed: an escape sequence in the
        # label would otherwise swallow the text after it when the line is cleaned.
        known_as = f'as "{clean_line(existing.label, limit=60)}"' if existing.label \
            else "(without a label)"
        super().__init__(
            f"{number} is already in the watchlist {known_as}, parcels[{index}]",
            hint="Edit that entry instead of adding the number again",
        )


class ParcelNotFound(ConfigError):
    """No parcel with that number in the watchlist."""

    def __init__(self, number: str) -> None:
        self.number = number
        super().__init__(f"{number} is not in the watchlist",
                         hint="`emstui list` shows the numbers it holds")


def _sentence(text: str, hint: str | None) -> str:
    if not hint:
        return text
    return f"{text}{' ' if text.endswith(('.', '?', '!')) else '. '}{hint}"


