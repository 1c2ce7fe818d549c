"""The one output layer of the command line: every character it writes is safe for a terminal.

`run()` in `emstui.cli.main` wraps stdout and stderr in `SafeStream` once, so every command (and any
command added later) writes through it: labels, notes, event text, provider messages and file
paths can never set the clipboard or the title, clear the screen, reorder text (bidi) or hide
it. Fields are still cleaned to one line where they are formatted (`clean_line`); this layer is
the guarantee behind that, for whatever a formatter forgets.

emstui's own colour (SGR `ESC [ n m`, only when `colour_allowed`) and the progress line's
`\\r ESC [K` are written with `write_control`, which accepts only those exact sequences.
"""

from __future__ import annotations

from emstui.core.lazyre import compiled
from emstui.core.sanitize import clean_text

TYPE_CHECKING = False  # typing's own flag without importing typing (which imports re)
if TYPE_CHECKING:
    from typing import TextIO

# The only sequences emstui itself emits: colour and the progress line's carriage return/erase.
_SGR = r"\x1b\[[0-9;]{0,16}m"
_OWN_CONTROL = r"\x1b\[[0-9;]{0,16}m|\r\x1b\[K|\r"


class SafeStream:
    """A text stream that writes only cleaned text. Everything else is passed to the target."""

    def __init__(self, target: TextIO) -> None:
        self.target = target

    def write(self, text: str) -> int:
        return self.target.write(clean_text(text))

    def write_coloured(self, text: str) -> int:
        """Text in which emstui's own colour codes survive; every other character is cleaned."""
        pieces: list[str] = []
        last = 0
        for match in compiled(_SGR).finditer(text):
            pieces.append(clean_text(text[last:match.start()]))
            pieces.append(match.group())
            last = match.end()
        pieces.append(clean_text(text[last:]))
        return self.target.write("".join(pieces))

    def write_control(self, control: str, text: str = "") -> int:
        """emstui's own terminal control (progress line), then cleaned text."""
        if not compiled(_OWN_CONTROL).fullmatch(control):
            raise ValueError(f"not one of emstui's own control sequences: {control!r}")
        return self.target.write(control + clean_text(text))

    def flush(self) -> None:
        self.target.flush()

    def isatty(self) -> bool:
        return bool(getattr(self.target, "isatty", lambda: False)())

    def __getattr__(self, name: str) -> object:  # encoding, fileno, ... of the real stream
        return getattr(self.target, name)


def safe(stream: TextIO) -> SafeStream:
    """`stream` behind the output layer (idempotent)."""
    return stream if isinstance(stream, SafeStream) else SafeStream(stream)


def write_coloured(stream: TextIO, text: str) -> None:
    """Write `text` through the output layer, keeping emstui's own colour codes."""
    safe(stream).write_coloured(text)


def write_progress(stream: TextIO, message: str) -> None:
    """Rewrite the progress line in place (only ever called for a terminal)."""
    safe(stream).write_control("\r\x1b[K", message)


def __getattr__(name: str) -> object:
    # CleanLogFormatter lives beside `logging` (emstui.present.logformat), which the commands
    # that never log (`emstui check`) do not import; it is still importable from here.
    if name == "CleanLogFormatter":
        from emstui.present.logformat import CleanLogFormatter

        return CleanLogFormatter
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
