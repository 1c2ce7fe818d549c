"""Theme files: parsing and validation without Textual, registration and switching with it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual._color_constants import COLOR_NAME_TO_RGB
from textual.app import App, ComposeResult
from textual.color import Color
from textual.widgets import Static

from emstui.config import themefiles
from emstui.config.themefiles import (
    COLOUR_NAMES,
    STATUS_VARIABLES,
    ThemeFileError,
    ThemeSpec,
    bundled_theme_files,
    fallback_theme_name,
    is_colour,
    load_theme_file,
    load_themes,
    normalize_colour,
    normalize_variable,
    user_theme_files,
)
from emstui.tui.themes import (
    StatusVariablesMixin,
    apply_theme,
    build_theme,
    register_themes,
    status_variable_defaults,
)

BUNDLED = {"emstui-dark", "emstui-light", "emstui-high-contrast"}
GOOD = 'name = "{name}"\nprimary = "#112233"\n[variables]\nstatus-delivered = "{delivered}"\n'


def write(directory: Path, filename: str, text: str) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / filename
    path.write_text(text, encoding="utf-8")
    return path


def error_for(tmp_path: Path, text: str) -> ThemeFileError:
    path = write(tmp_path, "broken.toml", text)
    with pytest.raises(ThemeFileError) as info:
        load_theme_file(path)
    assert str(info.value).startswith(f"{path}: ")
    return info.value


# --- colours without Textual -----------------------------------------------------------------


def test_theme_files_and_advice_do_not_import_textual() -> None:
    code = ("import sys, emstui.config.themefiles, emstui.present.advice; "
            "sys.exit(any(m == 'textual' or m.startswith('textual.') for m in sys.modules))")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0



def test_colour_names_match_textuals_table_in_both_directions() -> None:
    assert set(COLOR_NAME_TO_RGB) | {"ansi_default"} == set(COLOUR_NAMES)


@pytest.mark.parametrize("value", [
    "#abc", "#abcd", "#AABBCC", "#aabbcc80", "rgb(1, 2, 3)", "rgba(1,2,3,0.5)",
    "hsl(210, 50%, 40%)", "hsla(210,50%,40%,0.3)", "RED", " teal ", "ansi_bright_green",
    "ansi_default", "RGB(1,2,3)",
])
def test_accepted_colours_are_ones_textual_parses(value: str) -> None:
    normal = normalize_colour(value)
    assert normal is not None
    Color.parse(normal)


@pytest.mark.parametrize("value", [
    "#abcde", "#ggg", "rgb(1,2)", "hsl(1,2,3)", "blurple", "", "ansi_purple", "red;", "url(x)",
    "#1234567",
])
def test_rejected_colours_are_rejected(value: str) -> None:
    assert not is_colour(value)


def test_colour_names_are_lower_cased_for_textual() -> None:
    assert normalize_colour("DarkOrange") == "darkorange"


@pytest.mark.parametrize(("name", "value", "expected"), [
    ("text-muted", "ansi_default 50%", "ansi_default 50%"),
    ("border", "Red", "red"),
    ("block-cursor-text-style", "bold", "bold"),
    ("link-style-hover", "not underline", "not underline"),
])
def test_variables_accept_colours_with_opacity_and_text_styles(
        name: str, value: str, expected: str) -> None:
    assert normalize_variable(name, value) == expected


@pytest.mark.parametrize(("name", "value"), [
    ("status-delivered", "bold"),
    ("border", "#ff0000 150%"),
    ("border", "#ff000"),
    ("footer-background", "red; } Screen { display: none"),
    ("x", "a" * 65),
])
def test_variables_reject_bad_values(name: str, value: str) -> None:
    with pytest.raises(ValueError):
        normalize_variable(name, value)


# --- theme files -----------------------------------------------------------------------------


def test_bundled_themes_load_clean_and_define_every_status_colour() -> None:
    specs = {s.name: s for s in map(load_theme_file, bundled_theme_files())}
    assert set(specs) == BUNDLED
    for spec in specs.values():
        assert spec.warnings == ()
        assert set(STATUS_VARIABLES) <= set(spec.variables)
        build_theme(spec)  # Textual's own parser accepts every colour
    assert specs["emstui-light"].dark is False
    assert specs["emstui-dark"].dark is True


def _contrast(a: str, b: str) -> float:
    def lum(colour: str) -> float:
        c = Color.parse(colour)
        parts = [v / 255 for v in (c.r, c.g, c.b)]
        lin = [p / 12.92 if p <= 0.03928 else ((p + 0.055) / 1.055) ** 2.4 for p in parts]
        return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]
    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@pytest.mark.parametrize(("name", "minimum"), [
    ("emstui-high-contrast", 7.0), ("emstui-dark", 4.5), ("emstui-light", 4.5)])
def test_bundled_status_colours_are_readable_on_their_background(name: str,
                                                                   minimum: float) -> None:
    spec = next(s for s in map(load_theme_file, bundled_theme_files()) if s.name == name)
    assert spec.background is not None and spec.foreground is not None
    assert _contrast(spec.foreground, spec.background) >= minimum
    for var in STATUS_VARIABLES:
        assert _contrast(spec.variables[var], spec.background) >= minimum, var


def test_bundled_files_come_from_the_package_when_installed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path / "_themes", "packaged.toml", GOOD.format(name="pk", delivered="green"))
    monkeypatch.setattr(themefiles.resources, "files", lambda _pkg: tmp_path)
    assert [f.name for f in bundled_theme_files()] == ["packaged.toml"]


def test_bundled_files_fall_back_to_the_checkout_themes_directory() -> None:
    repo_themes = Path(themefiles.__file__).resolve().parents[2] / "themes"
    assert themefiles.bundled_theme_dir() == repo_themes


def test_invalid_toml_names_file_and_line(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'name = "x"\nprimary = #fff\n')
    assert "invalid TOML" in err.problem and "line 2" in err.problem


def test_missing_name_is_an_error(tmp_path: Path) -> None:
    assert "missing 'name'" in error_for(tmp_path, 'primary = "#fff"\n').problem


def test_missing_primary_is_an_error(tmp_path: Path) -> None:
    assert "missing 'primary'" in error_for(tmp_path, 'name = "x"\n').problem


def test_bad_colour_names_the_key_and_suggests_a_name(tmp_path: Path) -> None:
    err = error_for(tmp_path, 'name = "x"\nprimary = "#fff"\nsuccess = "gren"\n')
    assert err.problem.startswith("'success': 'gren' is not a colour")
    assert "did you mean 'green'" in err.problem


def test_bad_status_variable_names_the_variable(tmp_path: Path) -> None:
    err = error_for(tmp_path, GOOD.format(name="x", delivered="#12"))
    assert err.problem.startswith("variables.status-delivered:")


@pytest.mark.parametrize(("text", "fragment"), [
    ('name = "x"\nprimary = "#fff"\ndark = "yes"\n', "'dark' must be true or false"),
    ('name = "x y"\nprimary = "#fff"\n', "'name' must be"),
    ('name = "x"\nprimary = 3\n', "'primary' must be a colour string"),
    ('name = "x"\nprimary = "#fff"\nvariables = 3\n', "must be a table"),
    ('name = "x"\nprimary = "#fff"\ntext_alpha = 2\n', "'text_alpha' must be a number"),
    ('name = "x"\nprimary = "#fff"\n[variables]\n"Bad Name" = "red"\n', "not a variable name"),
])
def test_wrong_types_are_errors(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in error_for(tmp_path, text).problem


def test_non_utf8_file_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b'name = "caf\xe9"\nprimary = "#fff"\n')
    with pytest.raises(ThemeFileError, match="not UTF-8"):
        load_theme_file(path)


def test_unknown_top_level_key_warns_but_loads(tmp_path: Path) -> None:
    path = write(tmp_path, "t.toml", 'name = "x"\nprimary = "#fff"\naccnet = "red"\n')
    spec = load_theme_file(path)
    assert spec.name == "x"
    assert spec.warnings == ("unknown key 'accnet' ignored (did you mean 'accent'?)",)


def test_user_theme_files_skips_hidden_and_missing(tmp_path: Path) -> None:
    assert user_theme_files(tmp_path / "missing") == []
    assert user_theme_files(None) == []
    write(tmp_path, "b.toml", "")
    write(tmp_path, "a.toml", "")
    write(tmp_path, ".hidden.toml", "")
    write(tmp_path, "notes.txt", "")
    assert [p.name for p in user_theme_files(tmp_path)] == ["a.toml", "b.toml"]


def test_load_themes_collects_one_problem_per_bad_file_and_user_overrides(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    write(user, "dark.toml", GOOD.format(name="emstui-dark", delivered="#010203"))
    bad = write(user, "bad.toml", 'name = "bad"\n')
    odd = write(user, "odd.toml", 'name = "odd"\nprimary = "#fff"\nfoo = 1\nbar = 2\n')
    specs, problems = load_themes([*bundled_theme_files(), *user_theme_files(user)])
    by_name = {s.name: s for s in specs}
    assert by_name["emstui-dark"].variables["status-delivered"] == "#010203"
    assert "odd" in by_name and "bad" not in by_name
    assert len(problems) == 2
    assert problems[0].startswith(f"{bad}: missing 'primary'") and problems[0].endswith("skipped)")
    assert problems[1].startswith(f"{odd}: unknown key 'bar'") and "'foo'" in problems[1]


def test_fallback_theme_names() -> None:
    assert fallback_theme_name(True) == "emstui-dark"
    assert fallback_theme_name(False) == "emstui-light"


# --- Textual ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("dark", "ansi"), [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_status_defaults_cover_every_variable_and_parse(dark: bool, ansi: bool) -> None:
    defaults = status_variable_defaults(dark, ansi=ansi)
    assert tuple(defaults) == STATUS_VARIABLES
    for value in defaults.values():
        Color.parse(value)
        assert value.startswith("ansi_") is ansi


def test_build_theme_rejects_a_colour_textual_cannot_parse() -> None:
    spec = ThemeSpec(name="x", primary="#123456", variables={"status-customs": "chartreuse2"},
                     source="x.toml")
    with pytest.raises(ThemeFileError, match=r"^x\.toml: 'variables\.status-customs'"):
        build_theme(spec)
    with pytest.raises(ThemeFileError, match="'primary'"):
        build_theme(ThemeSpec(name="y", primary="not-a-colour"))


def test_build_theme_carries_every_field() -> None:
    spec = load_theme_file(next(f for f in bundled_theme_files()
                                if f.name == "emstui-high-contrast.toml"))
    theme = build_theme(spec)
    assert (theme.name, theme.dark, theme.primary, theme.boost) == (
        "emstui-high-contrast", True, "#00AFFF", "#FFFFFF1A")
    assert theme.text_alpha == 1.0 and theme.luminosity_spread == 0.25
    assert theme.variables["status-transit"] == "#00FFFF"


class ThemedApp(StatusVariablesMixin, App[None]):
    CSS = "#probe { color: $status-delivered; background: $status-exception; }"

    def __init__(self, user_dir: Path | None) -> None:
        super().__init__()
        self.user_dir = user_dir
        self.problems: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("probe", id="probe")

    def on_mount(self) -> None:
        self.problems = register_themes(self, self.user_dir)


async def test_app_registers_themes_and_status_colour_follows_the_theme(tmp_path: Path) -> None:
    user = tmp_path / "themes"
    write(user, "mine.toml", GOOD.format(name="mine", delivered="#102030"))
    broken = write(user, "broken.toml", 'name = "broken"\nprimary = "nope"\n')
    app = ThemedApp(user)
    async with app.run_test() as pilot:
        assert len(app.problems) == 1 and app.problems[0].startswith(str(broken))
        assert BUNDLED | {"mine"} <= set(app.available_themes)
        assert "broken" not in app.available_themes
        probe = app.query_one("#probe")
        seen = {}
        for name in ("emstui-dark", "emstui-light", "mine", "ansi-dark", "textual-light"):
            app.theme = name
            await pilot.pause()
            seen[name] = app.theme_variables["status-delivered"]
            assert probe.styles.color == Color.parse(seen[name])
        assert seen["emstui-dark"] == "#5FD38D"
        assert seen["emstui-light"] == "#1A7F37"
        assert seen["mine"] == "#102030"
        assert seen["ansi-dark"] == "ansi_green"
        assert seen["textual-light"] == status_variable_defaults(False)["status-delivered"]
        # A user theme without the other status colours still resolves them from the defaults.
        app.theme = "mine"
        await pilot.pause()
        assert app.theme_variables["status-exception"] == \
            status_variable_defaults(True)["status-exception"]


async def test_apply_theme_falls_back_when_the_theme_is_missing() -> None:
    app = ThemedApp(None)
    async with app.run_test() as pilot:
        assert apply_theme(app, "emstui-high-contrast") is None
        assert app.theme == "emstui-high-contrast"
        problem = apply_theme(app, "no-such-theme", dark=False)
        await pilot.pause()
        assert app.theme == "emstui-light"
        assert problem == "theme 'no-such-theme' is not available; using 'emstui-light'"
