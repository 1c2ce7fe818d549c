"""The app's checks of `[display].theme` and `[keys]`, for `emstui config validate`."""

from __future__ import annotations

import difflib
import re

from textual.theme import BUILTIN_THEMES

from emstui.config import Config
from emstui.config.paths import user_themes_dir
from emstui.config.problems import Problem
from emstui.config.themefiles import bundled_theme_files, load_themes, user_theme_files
from emstui.tui import keymap

_KEYS_PROBLEM_RE = re.compile(r"\[keys\] ([^\s:=]+)")


def theme_problems(config: Config) -> list[Problem]:
    """A theme the app would not find (it falls back), and theme files it would skip."""
    specs, file_problems = load_themes([*bundled_theme_files(),
                                        *user_theme_files(user_themes_dir(config.path))])
    problems = [Problem("warning", "display.theme", line) for line in file_problems]
    names = sorted({*BUILTIN_THEMES, *(spec.name for spec in specs)})
    wanted = config.display.theme
    if wanted not in names:
        close = difflib.get_close_matches(wanted, names, n=1)
        fix = f'Did you mean "{close[0]}"?' if close else \
            f"Use one of: {', '.join(names)}"
        problems.append(Problem("error", "display.theme",
                                f'unknown theme "{wanted}": the app would fall back to '
                                "emstui-dark", fix))
    return problems


def key_problems(config: Config) -> list[Problem]:
    """`[keys]` entries the app leaves out: unknown ids, bad key names, clashes."""
    problems = []
    for line in keymap.validate_overrides(config.keys):
        match = _KEYS_PROBLEM_RE.match(line)
        key = f"keys.{match.group(1)}" if match else "keys"
        problems.append(Problem("error", key, line.removeprefix(f"[keys] {match.group(1)}: ")
                                if match else line,
                                "`?` in the monitor lists every binding id with its keys"))
    return problems


def ui_problems(config: Config) -> list[Problem]:
    return [*theme_problems(config), *key_problems(config)]
