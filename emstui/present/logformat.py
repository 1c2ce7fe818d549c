"""Log lines through the output layer's sanitiser."""

from __future__ import annotations

import logging

from emstui.core.sanitize import clean_text


class CleanLogFormatter(logging.Formatter):
    """Log lines through the same sanitiser: a label or carrier text in a log message must not
    act on the terminal of whoever runs `tail -f` on the log."""

    def format(self, record: logging.LogRecord) -> str:
        return clean_text(super().format(record))
