"""A dialog field's verdict line: plain, ok, warning or error (the classes its CSS colours)."""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static

KINDS = ("-ok", "-warning", "-error")


class StatusLine(Static):
    """The line under a field saying what is wrong with it, or what it holds."""

    def show(self, content: Content, kind: str = "") -> None:
        """Show `content` as `kind` (one of KINDS, or "" for plain)."""
        self.update(content)
        for name in KINDS:
            self.set_class(name == kind, name)
