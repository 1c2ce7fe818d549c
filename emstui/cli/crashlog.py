"""Where unexpected errors go: the traceback to the log file, one line to the user."""

from __future__ import annotations

import tempfile
import traceback
from datetime import UTC, datetime
from pathlib import Path

from emstui.config import paths

LOG_NAME = "emstui.log"


def log_file() -> Path:
    """The log file the monitor and crash reports write to (in the data directory)."""
    return paths.data_dir() / LOG_NAME


def record_crash(error: BaseException) -> Path | None:
    """Append the traceback to the log (or to a file in the temp dir when the data directory
    is unusable); returns where it went, or None when nothing could be written."""
    text = (f"{datetime.now(UTC).isoformat(timespec='seconds')} CRASH\n"
            + "".join(traceback.format_exception(error)))
    for directory in (paths.data_dir(), Path(tempfile.gettempdir())):
        target = directory / LOG_NAME
        try:
            directory.mkdir(parents=True, exist_ok=True)
            with open(target, "a", encoding="utf-8") as handle:
                handle.write(text)
        except OSError:
            continue
        return target
    return None
