"""The legend at the top of `?` help: each status glyph, its word, its colour, and the marks."""

from __future__ import annotations

from collections.abc import Mapping

from textual.color import Color, ColorParseError
from textual.content import Content

from emstui.present.eta_text import OVERDUE_WORD
from emstui.present.views import (
    GLYPHS,
    NEXT_MARKS,
    QUIET_MARKS,
    STATUS_MEANINGS,
    STATUS_WORDS,
    TONES,
    UNSEEN_MARK,
    status_order,
)
from emstui.tui.marks import MARK_GLYPH

SAMPLE_WIDTH = 14  # "» delivering" and "↻ retry 14:05" fit
COLOUR_WIDTH = 8  # "magenta"

# (sample, the CSS variable colouring it or "", what it means), as the table shows them.
MARKS: tuple[tuple[str, str, str], ...] = (
    (f"{MARK_GLYPH}→ transit", "accent", "marked (space): x, r and d act on the marked"),
    (UNSEEN_MARK, "accent", "new events since you last looked at the parcel"),
    (f"9d 8h {QUIET_MARKS['warn']}", "status-attention",
     "last scan: quiet longer than usual at this stage"),
    (f"19d 4h {QUIET_MARKS['alert']}", "status-exception",
     "much longer: the detail's advice says what to do"),
    ("~5h 12m", "", "last scan, estimated: the scan's time had no zone"),
    ("27–30 Nov", "", "ETA: expected arrival, by the source or your history"),
    (f"{OVERDUE_WORD} 3 Dec", "status-attention", "ETA: its window has passed; see the advice"),
    ("due", "", "next check: overdue, runs as soon as it can"),
    (f"{NEXT_MARKS['backoff']} retry 14:05", "status-attention",
     "next check: the last one failed; retried then"),
    (f"{NEXT_MARKS['error']} key problem", "status-exception",
     "next check: stopped until the problem is fixed"),
)

# Hue bands (degrees, upper bound) for naming a theme colour in words.
_HUES: tuple[tuple[float, str], ...] = (
    (15, "red"), (35, "orange"), (70, "yellow"), (165, "green"), (200, "cyan"), (255, "blue"),
    (290, "purple"), (335, "magenta"), (360, "red"),
)


def colour_name(value: str) -> str:
    """A plain word for a theme colour value: "ansi_yellow" -> "yellow", "#F2C14E" -> "yellow".

    ANSI colours are named as the terminal names them; others by hue, greys by lightness.
    """
    value = value.strip()
    if value.startswith("ansi_"):
        name = value.removeprefix("ansi_").replace("_", " ")
        return "plain" if name == "default" else name
    try:
        colour = Color.parse(value.split(" ", 1)[0])
    except ColorParseError:
        return "plain"
    hue, saturation, lightness = colour.hsl
    if saturation < 0.2 or lightness < 0.08 or lightness > 0.94:
        if lightness > 0.85:
            return "white"
        return "black" if lightness < 0.15 else "grey"
    degrees = hue * 360
    return next(name for bound, name in _HUES if degrees <= bound)


def _row(sample: str, style: str, colour: str, meaning: str) -> Content:
    return Content.assemble("  ", (sample.ljust(SAMPLE_WIDTH), style),
                            (colour.ljust(COLOUR_WIDTH), "$text-muted"), meaning)


def legend_content(variables: Mapping[str, str]) -> Content:
    """The legend; `variables` are the app's CSS variables (`$status-*` name the colours)."""
    lines = [Content.styled("Status, as the table shows it (problems first)", "bold")]
    for status in status_order():
        tone = TONES[status]
        colour = colour_name(variables.get(f"status-{tone}", ""))
        lines.append(_row(f"{GLYPHS[status]} {STATUS_WORDS[status]}", f"bold $status-{tone}",
                          colour, STATUS_MEANINGS[status]))
    lines.append(Content.styled("Marks", "bold"))
    for sample, variable, meaning in MARKS:
        style = f"bold ${variable}" if variable else ""
        colour = colour_name(variables.get(variable, "")) if variable else ""
        lines.append(_row(sample, style, colour, meaning))
    return Content("\n").join(lines)
