"""A problem found in a loaded config: how bad, which key, what is wrong, what to do.

`emstui config validate` collects them from the sources (`emstui.cli.configcheck`) and from the
TUI's own settings (`emstui.tui.settingscheck`); both speak this one type.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from emstui.config.load import key_line
from emstui.config.model import Config

Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One finding: how bad, which key, what is wrong and what to do."""

    severity: Severity
    key: str
    message: str
    fix: str = ""

    def describe(self, config: Config) -> str:
        line = key_line(config, self.key)
        where = f"{config.path}:{line}" if line is not None else str(config.path)
        fix = f". {self.fix}" if self.fix else ""
        return f"{self.severity}: {where}: {self.key}: {self.message}{fix}"
