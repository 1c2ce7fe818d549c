"""Find, read and validate theme files (TOML) without Textual; the TUI registers the results."""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

DARK_FALLBACK = "emstui-dark"
LIGHT_FALLBACK = "emstui-light"

STATUS_VARIABLES: tuple[str, ...] = (
    "status-delivered",
    "status-transit",
    "status-customs",
    "status-attention",
    "status-exception",
    "status-unknown",
)
COLOUR_KEYS: tuple[str, ...] = (
    "primary", "secondary", "accent", "foreground", "background", "surface", "panel",
    "success", "warning", "error", "boost",
)
_OTHER_KEYS: tuple[str, ...] = ("name", "dark", "luminosity_spread", "text_alpha", "variables")
KNOWN_KEYS: frozenset[str] = frozenset(COLOUR_KEYS + _OTHER_KEYS)

MAX_FILE_BYTES = 64 * 1024
MAX_VARIABLES = 500


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# The colour names Textual's Color.parse accepts (CSS level 4 names plus the 16 ANSI colours);
# tests/config/test_themes.py checks this list against Textual's own table in both directions.
CSS_COLOUR_NAMES: frozenset[str] = _words("""
aliceblue antiquewhite aqua aquamarine azure beige bisque black blanchedalmond blue
blueviolet brown burlywood cadetblue chartreuse chocolate coral cornflowerblue cornsilk
crimson cyan darkblue darkcyan darkgoldenrod darkgray darkgreen darkgrey darkkhaki
darkmagenta darkolivegreen darkorange darkorchid darkred darksalmon darkseagreen
darkslateblue darkslategray darkslategrey darkturquoise darkviolet deeppink deepskyblue
dimgray dimgrey dodgerblue firebrick floralwhite forestgreen fuchsia gainsboro ghostwhite
gold goldenrod gray green greenyellow grey honeydew hotpink indianred indigo ivory khaki
lavender lavenderblush lawngreen lemonchiffon lightblue lightcoral lightcyan
lightgoldenrodyellow lightgray lightgreen lightgrey lightpink lightsalmon lightseagreen
lightskyblue lightslategray lightslategrey lightsteelblue lightyellow lime limegreen linen
magenta maroon mediumaquamarine mediumblue mediumorchid mediumpurple mediumseagreen
mediumslateblue mediumspringgreen mediumturquoise mediumvioletred midnightblue mintcream
mistyrose moccasin navajowhite navy oldlace olive olivedrab orange orangered orchid
palegoldenrod palegreen paleturquoise palevioletred papayawhip peachpuff peru pink plum
powderblue purple rebeccapurple red rosybrown royalblue saddlebrown salmon sandybrown
seagreen seashell sienna silver skyblue slateblue slategray slategrey snow springgreen
steelblue tan teal thistle tomato turquoise violet wheat white whitesmoke yellow yellowgreen
transparent
""")
ANSI_COLOUR_NAMES: frozenset[str] = frozenset(
    [f"ansi_{c}" for c in ("black", "red", "green", "yellow", "blue", "magenta", "cyan", "white")]
    + [f"ansi_bright_{c}" for c in ("black", "red", "green", "yellow", "blue", "magenta", "cyan",
                                    "white")]
    + ["ansi_default"]
)
COLOUR_NAMES: frozenset[str] = CSS_COLOUR_NAMES | ANSI_COLOUR_NAMES

# Same grammar as textual.color.RE_COLOR (8.2.x).
_DEC = r"-?\d+\.?\d*"
_PCT = r"-?\d+\.?\d*%"
_C = r"\s*,\s*"
_COLOUR_FUNC_RE = re.compile(
    rf"#[0-9a-fA-F]{{3}}|#[0-9a-fA-F]{{4}}|#[0-9a-fA-F]{{6}}|#[0-9a-fA-F]{{8}}"
    rf"|rgb\(\s*{_DEC}{_C}{_DEC}{_C}{_DEC}\s*\)"
    rf"|rgba\(\s*{_DEC}{_C}{_DEC}{_C}{_DEC}{_C}{_DEC}\s*\)"
    rf"|hsl\(\s*{_DEC}{_C}{_PCT}{_C}{_PCT}\s*\)"
    rf"|hsla\(\s*{_DEC}{_C}{_PCT}{_C}{_PCT}{_C}{_DEC}\s*\)"
)
# A colour optionally followed by an opacity, as Textual variables allow ("ansi_default 50%").
_ALPHA_RE = re.compile(r"(?:100|\d{1,2})(?:\.\d+)?%")
# Non-colour variable values (text styles and the like): nothing that could break CSS parsing.
_SAFE_VALUE_RE = re.compile(r"[A-Za-z0-9_#%.,() -]{1,64}")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_VARIABLE_NAME_RE = re.compile(r"[a-z][a-z0-9-]{0,63}")


class ThemeFileError(Exception):
    """A theme file that cannot be used; str() names the file and what is wrong."""

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


@dataclass(frozen=True, slots=True)
class ThemeSpec:
    """A validated theme file: everything needed to build a `textual.theme.Theme`."""

    name: str
    primary: str
    dark: bool = True
    secondary: str | None = None
    accent: str | None = None
    foreground: str | None = None
    background: str | None = None
    surface: str | None = None
    panel: str | None = None
    success: str | None = None
    warning: str | None = None
    error: str | None = None
    boost: str | None = None
    luminosity_spread: float | None = None
    text_alpha: float | None = None
    variables: Mapping[str, str] = field(default_factory=dict)
    source: str = ""
    warnings: tuple[str, ...] = ()

    def colours(self) -> dict[str, str]:
        """The top-level colours that are set, by key."""
        return {k: v for k in COLOUR_KEYS if (v := getattr(self, k)) is not None}


def fallback_theme_name(dark: bool) -> str:
    """The bundled theme to use when the configured one is missing or broken."""
    return DARK_FALLBACK if dark else LIGHT_FALLBACK


def normalize_colour(value: str) -> str | None:
    """The colour in the form Textual parses (names lower-cased), or None when it is not one."""
    text = value.strip()
    lowered = text.lower()
    if lowered in COLOUR_NAMES:
        return lowered
    if _COLOUR_FUNC_RE.fullmatch(text):
        return text
    if _COLOUR_FUNC_RE.fullmatch(lowered):  # RGB(...) / HSL(...) written in capitals
        return lowered
    return None


def is_colour(value: str) -> bool:
    """True for #rgb, #rgba, #rrggbb, #rrggbbaa, rgb()/rgba()/hsl()/hsla(), or a known name."""
    return normalize_colour(value) is not None


def _colour_error(value: str) -> str:
    hint = ""
    close = difflib.get_close_matches(value.strip().lower(), sorted(COLOUR_NAMES), n=1)
    if close:
        hint = f"; did you mean {close[0]!r}?"
    return (f"{value!r} is not a colour (use #rrggbb, #rgb, #rrggbbaa, rgb(r,g,b), "
            f"hsl(h,s%,l%) or a colour name{hint})")


def normalize_variable(name: str, value: str) -> str:
    """Validate one [variables] value; return it normalised. Raises ValueError with the reason.

    status-* variables must be colours. Others may be a colour with an optional opacity
    ("#ff0000 50%") or a plain value such as a text style ("bold", "reverse").
    """
    text = value.strip()
    if name.startswith("status-"):
        colour = normalize_colour(text)
        if colour is None:
            raise ValueError(_colour_error(value))
        return colour
    head, _, tail = text.partition(" ")
    colour = normalize_colour(head)
    if colour is not None:
        tail = tail.strip()
        if tail and not _ALPHA_RE.fullmatch(tail):
            raise ValueError(f"{value!r}: after the colour only an opacity like 50% may follow")
        return f"{colour} {tail}" if tail else colour
    if head.startswith(("#", "rgb", "hsl", "ansi_")):
        raise ValueError(_colour_error(head))
    if not _SAFE_VALUE_RE.fullmatch(text):
        raise ValueError(f"{value!r} is not a usable value (letters, digits, spaces, # % . , ( ) "
                         f"- _ only, up to 64 characters)")
    return text


def load_theme_file(path: Path | Traversable) -> ThemeSpec:
    """Read and validate one theme file. Raises ThemeFileError naming the file and the problem.

    Unknown top-level keys do not fail the file: they are listed in `ThemeSpec.warnings`.
    """
    source = str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ThemeFileError(source, f"cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_FILE_BYTES:
        raise ThemeFileError(source, f"too large ({len(data)} bytes; limit {MAX_FILE_BYTES})")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ThemeFileError(source, f"not UTF-8 text (byte {exc.start})") from None
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ThemeFileError(source, f"invalid TOML: {exc}") from None
    return _spec_from_table(table, source)


def _spec_from_table(table: dict[str, Any], source: str) -> ThemeSpec:
    def fail(problem: str) -> ThemeFileError:
        return ThemeFileError(source, problem)

    warnings = []
    for key in sorted(set(table) - KNOWN_KEYS):
        close = difflib.get_close_matches(key, sorted(KNOWN_KEYS), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        warnings.append(f"unknown key {key!r} ignored{hint}")

    name = table.get("name")
    if name is None:
        raise fail("missing 'name' (for example name = \"my-theme\")")
    if not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        raise fail(f"'name' must be letters, digits, '-' or '_' (up to 64), not {name!r}")
    if "primary" not in table:
        raise fail("missing 'primary' (for example primary = \"#4EA1FF\")")

    colours: dict[str, str] = {}
    for key in COLOUR_KEYS:
        if key not in table:
            continue
        value = table[key]
        if not isinstance(value, str):
            raise fail(f"'{key}' must be a colour string, not {type(value).__name__}")
        colour = normalize_colour(value)
        if colour is None:
            raise fail(f"'{key}': {_colour_error(value)}")
        colours[key] = colour

    dark = table.get("dark", True)
    if not isinstance(dark, bool):
        raise fail(f"'dark' must be true or false, not {dark!r}")
    numbers: dict[str, float] = {}
    for key in ("luminosity_spread", "text_alpha"):
        if key not in table:
            continue
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise fail(f"'{key}' must be a number from 0 to 1, not {value!r}")
        numbers[key] = float(value)

    variables = _variables(table.get("variables", {}), fail)
    return ThemeSpec(name=name, dark=dark, **colours, **numbers,  # type: ignore[arg-type]
                     variables=variables, source=source, warnings=tuple(warnings))


def _variables(raw: object, fail: Any) -> dict[str, str]:
    if not isinstance(raw, dict):
        raise fail("'variables' must be a table ([variables])")
    if len(raw) > MAX_VARIABLES:
        raise fail(f"too many variables ({len(raw)}; limit {MAX_VARIABLES})")
    out: dict[str, str] = {}
    for key, value in raw.items():
        if not _VARIABLE_NAME_RE.fullmatch(key):
            raise fail(f"variables: {key!r} is not a variable name (lower-case letters, digits "
                       f"and '-')")
        if not isinstance(value, str):
            raise fail(f"variables.{key} must be a string, not {type(value).__name__}")
        try:
            out[key] = normalize_variable(key, value)
        except ValueError as exc:
            raise fail(f"variables.{key}: {exc}") from None
    return out


def bundled_theme_dir() -> Path | Traversable | None:
    """Where the bundled themes live: `emstui/_themes` in a wheel, else the repo's `themes/`."""
    packaged = resources.files("emstui") / "_themes"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "themes"
    return checkout if checkout.is_dir() else None


def bundled_theme_files() -> list[Path | Traversable]:
    """The bundled theme files, sorted by file name."""
    where = bundled_theme_dir()
    if where is None:
        return []
    return sorted((f for f in where.iterdir() if f.name.endswith(".toml") and f.is_file()),
                  key=lambda f: f.name)


def user_theme_files(directory: Path | None) -> list[Path]:
    """The user's `*.toml` theme files in `directory` (none when it is missing), sorted."""
    if directory is None or not directory.is_dir():
        return []
    return sorted(p for p in directory.glob("*.toml") if p.is_file() and not p.name.startswith("."))


def load_themes(files: Iterable[Path | Traversable]) -> tuple[list[ThemeSpec], list[str]]:
    """Load many theme files: the good specs, and one problem line per file that had trouble.

    A later file with the same theme name replaces an earlier one (user themes come after the
    bundled ones, so they can restyle a bundled theme). Files with only warnings still load.
    """
    specs: dict[str, ThemeSpec] = {}
    problems: list[str] = []
    for path in files:
        try:
            spec = load_theme_file(path)
        except ThemeFileError as exc:
            problems.append(f"{exc} (skipped)")
            continue
        if spec.warnings:
            problems.append(f"{spec.source}: " + "; ".join(spec.warnings) + " (loaded)")
        specs[spec.name] = spec
    return list(specs.values()), problems
