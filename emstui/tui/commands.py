"""Command palette providers: jump to a parcel by label or number, and run the screen's actions.

The main screen opts in with ``COMMANDS = {ParcelsCommands, ActionCommands}`` and implements
`PaletteHost`. Actions are run with ``screen.run_action(...)``, so the screen must define
``action_add``, ``action_refresh_all``, ``action_toggle_archived``, ``action_toggle_pause`` and
``action_help`` (the actions of those bindings in `emstui.tui.keymap`); the app must define
``action_set_theme(name: str)``, which switches to the theme and saves it to the config.

Choosing a parcel posts `JumpToParcel(number)` to the screen. "Show the config file location"
needs nothing but `config_location()`: the path is shown in a notification.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Protocol, runtime_checkable

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from emstui.core import s10
from emstui.core.sanitize import clean_line
from emstui.tui import keymap
from emstui.tui.messages import JumpToParcel

ACTION_ADD = keymap.spec("add").action
ACTION_REFRESH_ALL = keymap.spec("refresh_all").action
ACTION_TOGGLE_ARCHIVED = keymap.spec("toggle_archived").action
ACTION_TOGGLE_PAUSE = keymap.spec("pause").action
ACTION_HELP = keymap.spec("help").action
ACTION_SET_THEME = "set_theme"


@runtime_checkable
class PaletteHost(Protocol):
    """What the palette needs from the screen it was opened on."""

    refresh_paused: bool
    show_archived: bool

    def palette_parcels(self) -> list[tuple[str, str]]:
        """(number, label) of every parcel the palette may jump to."""
        ...

    def config_location(self) -> Path:
        """The config file the app reads and writes."""
        ...


def highlighted(matcher: Matcher, candidate: str) -> Content:
    """The candidate as plain text, matched letters styled.

    `Matcher.highlight` parses the candidate as markup, and labels are user data.
    """
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class ParcelsCommands(Provider):
    """Find a parcel by label or by number (spaces and case ignored) and jump to it."""

    async def search(self, query: str) -> Hits:
        host = self.screen
        if not isinstance(host, PaletteHost):
            return
        label_matcher = self.matcher(query)
        number_query = s10.normalize(query)
        number_matcher = self.matcher(number_query)
        for number, raw_label in host.palette_parcels():
            label = clean_line(raw_label)  # config text may hold escape sequences
            label_score = label_matcher.match(label) if label else 0.0
            number_score = number_matcher.match(number) if number_query else 0.0
            if not (label_score or number_score):
                continue
            shown_number = (highlighted(number_matcher, number) if number_score
                            else Content(number))
            display = (Content.assemble(highlighted(label_matcher, label), "  ",
                                        shown_number.stylize("dim"))
                       if label else shown_number)
            yield Hit(
                max(label_score, number_score),
                display,
                partial(self.screen.post_message, JumpToParcel(number)),
                text=f"{label}  {number}" if label else number,
                help="Jump to this parcel",
            )


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One palette entry: its title, an explanation, and what choosing it does."""

    title: str
    help: str
    run: Callable[[], object]


class ActionCommands(Provider):
    """Actions: add, refresh all, pause/resume, archived, themes, config location."""

    def commands(self) -> list[PaletteCommand]:
        app, screen = self.app, self.screen
        host = screen if isinstance(screen, PaletteHost) else None
        run = screen.run_action
        items = [
            PaletteCommand("Add a parcel", "Watch a new tracking number", partial(run, ACTION_ADD)),
            PaletteCommand("Show the keys", "Every key binding, as remapped in [keys]",
                           partial(run, ACTION_HELP)),
            PaletteCommand("Refresh all parcels now", "Check every watched parcel now",
                           partial(run, ACTION_REFRESH_ALL)),
        ]
        if host is not None:
            paused = host.refresh_paused
            items.append(PaletteCommand(
                "Resume refreshing" if paused else "Pause refreshing",
                "Automatic refreshing is paused" if paused
                else "Stop automatic refreshing until resumed",
                partial(run, ACTION_TOGGLE_PAUSE)))
            archived = host.show_archived
            items.append(PaletteCommand(
                "Hide archived parcels" if archived else "Show archived parcels",
                "Archived parcels are not refreshed", partial(run, ACTION_TOGGLE_ARCHIVED)))
            items.append(PaletteCommand(
                "Show the config file location", "Where emstui reads and writes its settings",
                partial(self._show_config_location, host)))
        current = app.theme
        for name in sorted(app.available_themes):
            items.append(PaletteCommand(
                f"Theme: {name}", "The theme in use" if name == current
                else "Switch to this theme and save it in the config",
                partial(app.run_action, f"{ACTION_SET_THEME}({name!r})")))
        return items

    def _show_config_location(self, host: PaletteHost) -> None:
        self.app.notify(str(host.config_location()), title="Config file", markup=False,
                        timeout=10)

    async def discover(self) -> Hits:
        for command in self.commands():
            if command.title.startswith("Theme: "):
                continue  # all themes would crowd the list; typing "theme" finds them
            yield DiscoveryHit(Content(command.title), command.run, text=command.title,
                               help=command.help)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for command in self.commands():
            score = matcher.match(command.title)
            if score > 0:
                yield Hit(score, highlighted(matcher, command.title), command.run,
                          text=command.title, help=command.help)
