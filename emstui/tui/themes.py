"""Register bundled and user themes with a Textual app, and give every theme `$status-*` colours."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from textual.app import App
from textual.color import Color, ColorParseError
from textual.theme import Theme

from emstui.config.themefiles import (
    COLOUR_KEYS,
    STATUS_VARIABLES,
    ThemeFileError,
    ThemeSpec,
    bundled_theme_files,
    fallback_theme_name,
    load_themes,
    user_theme_files,
)

__all__ = [
    "StatusVariablesMixin",
    "apply_theme",
    "build_theme",
    "fallback_theme_name",
    "register_themes",
    "status_variable_defaults",
]

# Used by themes that do not set their own status colours (Textual's built-in themes and user
# themes without them). ANSI themes get ANSI names so the terminal's own palette decides.
_TRUECOLOR_DARK = ("#4EBF71", "#56B6C2", "#E5C07B", "#FF9F43", "#E06C75", "#8B949E")
_TRUECOLOR_LIGHT = ("#1A7F37", "#0E7490", "#9A6700", "#BC4C00", "#CF222E", "#57606A")
# ansi_bright_black is the background colour in some palettes (Solarized): unknown uses default.
_ANSI_DARK = ("ansi_green", "ansi_cyan", "ansi_yellow", "ansi_magenta", "ansi_red",
              "ansi_default")
_ANSI_LIGHT = ("ansi_green", "ansi_blue", "ansi_magenta", "ansi_cyan", "ansi_red",
               "ansi_default")


def status_variable_defaults(dark: bool, *, ansi: bool = False) -> dict[str, str]:
    """Fallback `status-*` variables for a theme that does not define them."""
    if ansi:
        values = _ANSI_DARK if dark else _ANSI_LIGHT
    else:
        values = _TRUECOLOR_DARK if dark else _TRUECOLOR_LIGHT
    return dict(zip(STATUS_VARIABLES, values, strict=True))


class StatusVariablesMixin:
    """Mix into the App class (before `App`) so `$status-*` resolves under every theme.

    Textual merges `get_theme_variable_defaults()` under the current theme's own variables on
    every CSS refresh, so a theme's `status-*` values win and any other theme (built-in ones
    such as textual-dark or ansi-light included) falls back to defaults matching its dark/ansi
    kind.
    """

    current_theme: Theme

    def get_theme_variable_defaults(self) -> dict[str, str]:
        defaults: dict[str, str] = super().get_theme_variable_defaults()  # type: ignore[misc]
        theme = self.current_theme
        return {**defaults, **status_variable_defaults(theme.dark, ansi=theme.ansi)}


def _check_colour(spec: ThemeSpec, where: str, value: str) -> None:
    try:
        Color.parse(value)
    except ColorParseError as exc:
        raise ThemeFileError(spec.source or spec.name, f"'{where}': {exc}") from None


def build_theme(spec: ThemeSpec) -> Theme:
    """A Textual Theme from a spec, every colour checked with Textual's own parser first.

    `App.register_theme` does not validate colours, and a bad one would only fail later, when
    the CSS is refreshed; this raises ThemeFileError instead.
    """
    colours = spec.colours()
    for key, value in colours.items():
        _check_colour(spec, key, value)
    for key, value in spec.variables.items():
        head = value.split(" ", 1)[0]
        if key in STATUS_VARIABLES or _looks_like_colour(head):
            _check_colour(spec, f"variables.{key}", head)
    extra: dict[str, Any] = {}
    if spec.luminosity_spread is not None:
        extra["luminosity_spread"] = spec.luminosity_spread
    if spec.text_alpha is not None:
        extra["text_alpha"] = spec.text_alpha
    theme = Theme(name=spec.name, dark=spec.dark, variables=dict(spec.variables),
                  **{k: colours.get(k) for k in COLOUR_KEYS if k != "primary"},
                  primary=colours["primary"], **extra)
    try:
        theme.to_color_system().generate()
    except (ColorParseError, ValueError) as exc:  # belt and braces: Textual's own derivation
        raise ThemeFileError(spec.source or spec.name, f"Textual rejected the theme: {exc}") \
            from None
    return theme


def _looks_like_colour(text: str) -> bool:
    try:
        Color.parse(text)
    except ColorParseError:
        return text.startswith(("#", "rgb", "hsl", "ansi_"))
    return True


def register_themes(app: App[Any], user_dir: Path | None) -> list[str]:
    """Register the bundled themes, then the user's. Returns one problem line per bad file.

    Broken files are skipped and the rest still register, so the caller can show a single
    notification listing every problem.
    """
    files = [*bundled_theme_files(), *user_theme_files(user_dir)]
    specs, problems = load_themes(files)
    for spec in specs:
        try:
            theme = build_theme(spec)
        except ThemeFileError as exc:
            problems.append(f"{exc} (skipped)")
            continue
        app.register_theme(theme)
    return problems


def apply_theme(app: App[Any], name: str, *, dark: bool = True) -> str | None:
    """Switch to theme `name`, or to the fallback if it is not registered.

    Returns a problem line when the fallback was used, else None.
    """
    if name in app.available_themes:
        app.theme = name
        return None
    fallback = fallback_theme_name(dark)
    if fallback not in app.available_themes:
        fallback = "textual-dark" if dark else "textual-light"
    app.theme = fallback
    return f"theme {name!r} is not available; using {fallback!r}"
