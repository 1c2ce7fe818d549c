"""Every key binding of the app: ids, default keys, contexts, and the user's `[keys]` overrides.

Each binding has a stable id (the name used in `[keys]`, e.g. `refresh = "f5"`), default keys, a
description, the context where it is active, and whether it shows in the footer. The `?` help
screen lists them all.

Contexts and where their bindings live:

- ``global``: the App (or the main screen). Actions are ``App.action_<action>``: ``refresh``,
  ``refresh_all``, ``add``, ``edit``, ``remove``, ``archive``, ``toggle_archived``, ``filter``,
  ``sort``, ``sort_direction``, ``copy``, ``toggle_pause``, ``mark_all``, ``clear_marks``,
  ``help``, ``back`` (plus Textual's
  own ``quit``, ``command_palette``, ``focus_next``, ``focus_previous``).
- ``table``: the parcel table (a DataTable); actions are the DataTable's own, except
  ``screen.focus_detail`` and ``screen.toggle_mark``.
- ``detail``: the detail panel (a VerticalScroll); actions are its own scroll actions.
- ``dialog``: modal screens; actions are the screen's ``save``, ``cancel``, ``confirm``, ``deny``.

How the app applies the user's keys: declare ``BINDINGS = build_bindings(context)`` on the class
for each context and call ``app.set_keymap(textual_keymap(config.keys))`` once; Textual then
swaps keys by binding id everywhere, dialogs included. Overrides that are unusable (unknown id,
empty or unknown key, a key already taken in the same context) are left out, so the defaults
stay, and ``validate_overrides`` says why in lines the app shows in one notification.
"""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from textual.binding import Binding
from textual.keys import (
    KEY_ALIASES,
    KEY_DISPLAY_ALIASES,
    KEY_NAME_REPLACEMENTS,
    KEY_TO_UNICODE_NAME,
    Keys,
    format_key,
)

if TYPE_CHECKING:
    from textual.screen import Screen

Context = Literal["global", "table", "detail", "dialog"]
CONTEXTS: tuple[Context, ...] = ("global", "table", "detail", "dialog")
CONTEXT_TITLES: dict[Context, str] = {
    "global": "Anywhere on the main screen",
    "table": "Parcel table",
    "detail": "Detail panel",
    "dialog": "Dialogs",
}
# Global bindings stay active while the table or the detail panel has focus, so a key may not
# be used twice across these pairs. Dialogs are modal: their keys never meet the others.
_SHARED: frozenset[frozenset[str]] = frozenset(
    {frozenset({"global", "table"}), frozenset({"global", "detail"})}
)
MODIFIERS = ("ctrl", "shift", "alt", "meta", "super", "hyper")
_KEY_NAMES: frozenset[str] = frozenset(
    {key.value.rsplit("+", 1)[-1] for key in Keys if not key.value.endswith(">")}
    | set(KEY_TO_UNICODE_NAME)
    | set(KEY_DISPLAY_ALIASES)
    | {alias.rsplit("+", 1)[-1] for aliases in KEY_ALIASES.values() for alias in aliases}
    | set(KEY_NAME_REPLACEMENTS.values())
    | {"space", "enter", "tab", "backspace", "escape"}
)
# "ctrl+i" arrives as tab and "ctrl+m" as enter: treat them as the same key when comparing.
_CANONICAL: dict[str, str] = {
    alias: key for key, aliases in KEY_ALIASES.items() for alias in aliases
}


@dataclass(frozen=True, slots=True)
class BindingSpec:
    """One bindable action: its id (as used in `[keys]`), default keys, and where it applies."""

    id: str
    keys: str  # default key(s), comma-separated, in Textual's key syntax
    action: str
    description: str  # short: the footer
    context: Context
    show: bool = True
    priority: bool = False
    help: str = ""  # longer: the help screen and the footer tooltip

    @property
    def default_keys(self) -> tuple[str, ...]:
        return tuple(key.strip() for key in self.keys.split(","))

    @property
    def explanation(self) -> str:
        return self.help or self.description


def _spec(id: str, keys: str, action: str, description: str, context: Context,
          help: str = "", *, show: bool = True, priority: bool = False) -> BindingSpec:
    return BindingSpec(id=id, keys=keys, action=action, description=description,
                       context=context, show=show, priority=priority, help=help)


SPECS: tuple[BindingSpec, ...] = (
    # Main screen, wherever the focus is.
    _spec("help", "?", "help", "Help", "global", "Show every key (this list)"),
    _spec("add", "a", "add", "Add", "global", "Watch a number; paste several to add all"),
    _spec("edit", "e", "edit", "Edit", "global",
          "Edit the label, note, interval or provider"),
    _spec("remove", "d", "remove", "Remove", "global",
          "Stop watching it, or the marked (asks first)"),
    _spec("refresh", "r", "refresh", "Refresh", "global",
          "Refresh the highlighted or the marked now"),
    _spec("refresh_all", "R", "refresh_all", "Refresh all", "global",
          "Refresh every watched parcel now", show=False),
    _spec("archive", "x", "archive", "Archive", "global",
          "(Un)archive the highlighted or the marked", show=False),
    _spec("toggle_archived", "A", "toggle_archived", "Archived", "global",
          "Show or hide archived parcels", show=False),
    _spec("filter", "/", "filter", "Filter", "global",
          "Filter by label, number, status or place"),
    _spec("sort", "s", "sort", "Sort", "global", "Sort by the next column", show=False),
    _spec("sort_direction", "S", "sort_direction", "Reverse", "global",
          "Reverse the sort direction", show=False),
    _spec("copy", "c", "copy", "Copy", "global",
          "Copy the tracking number to the clipboard", show=False),
    _spec("pause", "p", "toggle_pause", "Pause", "global",
          "Pause or resume automatic refreshing", show=False),
    _spec("palette", "ctrl+p", "app.command_palette", "Palette", "global",
          "Palette: jump to a parcel, run an action", show=False, priority=True),
    _spec("focus_next", "tab", "app.focus_next", "Next pane", "global",
          "Move the focus to the next pane", show=False),
    _spec("focus_previous", "shift+tab", "app.focus_previous", "Previous pane", "global",
          "Move the focus to the previous pane", show=False),
    _spec("mark_all", "*", "mark_all", "Mark all", "global",
          "Mark every parcel shown (again: unmark them)", show=False),
    _spec("clear_marks", "u", "clear_marks", "Unmark all", "global",
          "Clear every mark, hidden ones too", show=False),
    _spec("back", "escape", "back", "Back", "global",
          "Back to the table; clear filter, then marks", show=False),
    _spec("quit", "q", "app.quit", "Quit", "global", "Quit emstui"),
    _spec("quit_anywhere", "ctrl+q", "app.quit", "Quit", "global",
          "Quit, even from a text field", show=False, priority=True),
    # Parcel table (DataTable actions).
    _spec("cursor_down", "j,down", "cursor_down", "Down", "table", "Next parcel", show=False),
    _spec("cursor_up", "k,up", "cursor_up", "Up", "table", "Previous parcel", show=False),
    _spec("cursor_top", "g,home", "scroll_top", "First", "table", "First parcel", show=False),
    _spec("cursor_bottom", "G,end", "scroll_bottom", "Last", "table", "Last parcel",
          show=False),
    _spec("page_down", "pagedown", "page_down", "Page down", "table", "One page down",
          show=False),
    _spec("page_up", "pageup", "page_up", "Page up", "table", "One page up", show=False),
    _spec("focus_detail", "enter", "screen.focus_detail", "Details", "table",
          "Move the focus to the detail panel"),
    _spec("mark", "space", "screen.toggle_mark", "Mark", "table",
          "Mark or unmark, go down; x r d act on marks"),
    # Detail panel (VerticalScroll actions).
    _spec("scroll_down", "j,down", "scroll_down", "Down", "detail", "Scroll down", show=False),
    _spec("scroll_up", "k,up", "scroll_up", "Up", "detail", "Scroll up", show=False),
    _spec("scroll_top", "g,home", "scroll_home", "Top", "detail", "Scroll to the top",
          show=False),
    _spec("scroll_bottom", "G,end", "scroll_end", "Bottom", "detail", "Scroll to the bottom",
          show=False),
    _spec("scroll_page_down", "pagedown", "page_down", "Page down", "detail",
          "Scroll one page down", show=False),
    _spec("scroll_page_up", "pageup", "page_up", "Page up", "detail", "Scroll one page up",
          show=False),
    # Dialogs (actions of the modal screen).
    _spec("save", "ctrl+s", "save", "Save", "dialog",
          "Save the form, or add the pasted numbers"),
    _spec("cancel", "escape", "cancel", "Cancel", "dialog", "Close without changing anything"),
    _spec("confirm", "y", "confirm", "Yes", "dialog", "Answer yes to a question"),
    _spec("deny", "n", "deny", "No", "dialog", "Answer no to a question"),
)

_BY_ID: dict[str, BindingSpec] = {spec.id: spec for spec in SPECS}


def spec(binding_id: str) -> BindingSpec:
    """The spec of one binding id; KeyError for an unknown id."""
    return _BY_ID[binding_id]


def specs(context: Context | None = None) -> tuple[BindingSpec, ...]:
    """All specs, or those of one context, in declaration (help screen) order."""
    return tuple(s for s in SPECS if context is None or s.context == context)


def normalize_key(key: str) -> str:
    """Textual's spelling of one key: "?" -> "question_mark", "Ctrl+PageDown" -> "ctrl+pagedown".

    Modifier names and multi-character key names are lower-cased; a single character keeps its
    case ("R" is shift+r). Raises ValueError naming what is wrong.
    """
    text = key.strip()
    if not text:
        raise ValueError("an empty key")
    *modifiers, name = ["+"] if text == "+" else text.split("+")
    lowered = [m.strip().lower() for m in modifiers]
    for modifier in lowered:
        if modifier not in MODIFIERS:
            raise ValueError(f'"{modifier}" in "{text}" is not a modifier '
                             f"(use {', '.join(MODIFIERS)})")
    name = name.strip()
    if len(name) == 1:
        if not name.isprintable() or name.isspace():
            raise ValueError(f"{name!r} is not a key: write space, tab or enter by name")
        name = next(iter(Binding.make_bindings([Binding(name, "_")]))).key
    else:
        name = name.lower()
        if not name:
            raise ValueError(f'"{text}" has no key after the modifiers')
        if name not in _KEY_NAMES and not _is_unicode_name(name):
            raise ValueError(f'"{name}" is not a key name Textual knows '
                             "(examples: f5, ctrl+r, pagedown, question_mark)")
    return "+".join([*dict.fromkeys(lowered), name])


def _is_unicode_name(name: str) -> bool:
    try:
        unicodedata.lookup(name.replace("_", " ").upper())
    except KeyError:
        return False
    return True


def _canonical(key: str) -> str:
    return _CANONICAL.get(key, key)


def _shared(a: Context, b: Context) -> bool:
    return a == b or frozenset({a, b}) in _SHARED


def key_display(key: str) -> str:
    """How a key is shown to people: "question_mark" -> "?", "ctrl+s" -> "^s"."""
    *modifiers, name = key.split("+")
    shown = format_key(name)
    if "ctrl" in modifiers:
        modifiers.remove("ctrl")
        shown = f"^{shown}"
    return "+".join([*modifiers, shown])


@dataclass(frozen=True, slots=True)
class Resolution:
    """The keys in force after applying overrides, and why any override was left out."""

    keys: dict[str, tuple[str, ...]]  # binding id -> normalised keys in force
    applied: dict[str, tuple[str, ...]]  # the overrides that took effect
    problems: list[str]


def resolve(overrides: Mapping[str, object] | None) -> Resolution:
    """Apply `[keys]` overrides to the defaults, leaving out every override that cannot work."""
    defaults = {s.id: tuple(normalize_key(k) for k in s.default_keys) for s in SPECS}
    problems: list[str] = []
    wanted: dict[str, tuple[str, ...]] = {}
    written: dict[str, str] = {}
    for binding_id, value in (overrides or {}).items():
        if binding_id not in _BY_ID:
            close = difflib.get_close_matches(binding_id, list(_BY_ID), n=1)
            hint = f'; did you mean "{close[0]}"?' if close else ""
            problems.append(f"[keys] {binding_id}: no binding has this id{hint} (ignored)")
            continue
        keeping = f'keeping "{_BY_ID[binding_id].keys}"'
        if not isinstance(value, str):
            problems.append(f'[keys] {binding_id}: expected keys as text such as "f5" or '
                            f'"r,f5", got {type(value).__name__}; {keeping}')
            continue
        try:
            wanted[binding_id] = _parse_key_list(value)
        except ValueError as exc:
            problems.append(f'[keys] {binding_id} = "{value}": {exc}; {keeping}')
            continue
        written[binding_id] = value
    # Drop colliding overrides until none collide; each round drops one, so this ends.
    while (collision := _first_collision({**defaults, **wanted}, wanted)) is not None:
        binding_id, key, other = collision
        del wanted[binding_id]
        s = _BY_ID[binding_id]
        problems.append(
            f'[keys] {binding_id} = "{written[binding_id]}": "{key_display(key)}" is already '
            f'taken by "{other}" ({_BY_ID[other].description}) where {binding_id} applies '
            f'({CONTEXT_TITLES[s.context].lower()}); keeping "{s.keys}"')
    return Resolution(keys={**defaults, **wanted}, applied=dict(wanted), problems=problems)


def _parse_key_list(value: str) -> tuple[str, ...]:
    parts = [part.strip() for part in value.split(",")]
    if not any(parts):
        raise ValueError("no key given")
    if "" in parts:
        raise ValueError("an empty key between commas")
    return tuple(dict.fromkeys(normalize_key(part) for part in parts))


def _first_collision(current: Mapping[str, tuple[str, ...]],
                     wanted: Mapping[str, tuple[str, ...]]) -> tuple[str, str, str] | None:
    """(override to drop, its key, the binding holding that key), or None when all is well.

    An override loses to a default; of two overrides on one key, the one declared first wins.
    """
    owners: dict[str, list[str]] = {}
    for binding_id, keys in current.items():
        for key in keys:
            owners.setdefault(_canonical(key), []).append(binding_id)
    for binding_id in sorted(wanted, key=_order, reverse=True):
        context = _BY_ID[binding_id].context
        for key in current[binding_id]:
            for other in owners[_canonical(key)]:
                if other == binding_id or not _shared(context, _BY_ID[other].context):
                    continue
                if other not in wanted or _order(other) < _order(binding_id):
                    return binding_id, key, other
    return None


def _order(binding_id: str) -> int:
    return SPECS.index(_BY_ID[binding_id])


def validate_overrides(overrides: Mapping[str, object] | None) -> list[str]:
    """One line per override that cannot be used (and is therefore left out)."""
    return resolve(overrides).problems


def effective_keys(binding_id: str, overrides: Mapping[str, object] | None = None
                   ) -> tuple[str, ...]:
    """The keys in force for one binding id (normalised Textual key names)."""
    return resolve(overrides).keys[binding_id]


def textual_keymap(overrides: Mapping[str, object] | None) -> dict[str, str]:
    """The usable overrides, in the form `App.set_keymap` takes (binding id -> "key,key")."""
    return {bid: ",".join(keys) for bid, keys in resolve(overrides).applied.items()}


def build_bindings(context: Context, overrides: Mapping[str, object] | None = None, *,
                   ids: Iterable[str] | None = None) -> list[Binding]:
    """Textual Bindings (with ids) for one context, keys taken from the usable overrides.

    `ids` restricts the result to those binding ids (a dialog picks the ones it handles).
    """
    keys = resolve(overrides).keys
    chosen = None if ids is None else set(ids)
    return [
        Binding(",".join(keys[s.id]), s.action, s.description, show=s.show,
                priority=s.priority, tooltip=s.explanation, id=s.id)
        for s in specs(context)
        if chosen is None or s.id in chosen
    ]


def rebind(binding_id: str, action: str, description: str | None = None, *,
           show: bool = False, overrides: Mapping[str, object] | None = None) -> Binding:
    """A Binding on `binding_id`'s keys running another action (e.g. `?` closing the help).

    It keeps the id, so `App.set_keymap` moves it along with the user's remapping.
    """
    s = spec(binding_id)
    keys = resolve(overrides).keys[binding_id]
    return Binding(",".join(keys), action, description or s.description, show=show,
                   priority=s.priority, id=s.id)


def key_hint(screen: Screen[object], action: str) -> str | None:
    """The first key that runs `action` on `screen` now (the user's keymap applied), as shown."""
    for active in screen.active_bindings.values():
        if active.binding.action == action and active.node is screen:
            return screen.app.get_key_display(active.binding)
    return None
