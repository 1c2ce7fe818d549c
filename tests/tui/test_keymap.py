"""Key bindings: ids, defaults, `[keys]` overrides and the problems they report."""

from __future__ import annotations

import pytest
from textual.app import App, ComposeResult
from textual.widgets import Static

from emstui.tui import keymap


def test_default_bindings_have_unique_ids_and_no_collisions() -> None:
    ids = [s.id for s in keymap.SPECS]
    assert len(ids) == len(set(ids))
    resolution = keymap.resolve({})
    assert resolution.problems == []
    assert resolution.applied == {}
    assert all(s.description and s.context in keymap.CONTEXTS for s in keymap.SPECS)


def test_design_default_keys() -> None:
    expected = {
        "cursor_down": ("j", "down"), "cursor_up": ("k", "up"), "cursor_top": ("g", "home"),
        "cursor_bottom": ("G", "end"), "page_down": ("pagedown",), "focus_detail": ("enter",),
        "refresh": ("r",), "refresh_all": ("R",), "add": ("a",), "edit": ("e",),
        "remove": ("d",), "archive": ("x",), "toggle_archived": ("A",), "filter": ("slash",),
        "sort": ("s",), "sort_direction": ("S",), "copy": ("c",), "help": ("question_mark",),
        "quit": ("q",), "quit_anywhere": ("ctrl+q",), "palette": ("ctrl+p",),
        "focus_next": ("tab",), "focus_previous": ("shift+tab",), "back": ("escape",),
        "mark": ("space",), "mark_all": ("asterisk",), "clear_marks": ("u",),
    }
    keys = keymap.resolve(None).keys
    assert {bid: keys[bid] for bid in expected} == expected


def test_the_mark_keys_are_remappable_and_cannot_take_a_key_in_use() -> None:
    resolution = keymap.resolve({"mark": "m", "mark_all": "ctrl+a", "clear_marks": "x"})
    assert resolution.keys["mark"] == ("m",) and resolution.keys["mark_all"] == ("ctrl+a",)
    assert resolution.keys["clear_marks"] == ("u",)  # x archives: the override is left out
    assert [p.split(":")[0] for p in resolution.problems] == ['[keys] clear_marks = "x"']


def test_build_bindings_applies_override_and_keeps_the_id() -> None:
    bindings = {b.id: b for b in keymap.build_bindings("global", {"refresh": "f5,ctrl+r"})}
    assert bindings["refresh"].key == "f5,ctrl+r"
    assert bindings["refresh"].action == "refresh"
    assert bindings["add"].key == "a"
    assert set(bindings) == {s.id for s in keymap.specs("global")}


def test_build_bindings_restricted_to_ids() -> None:
    bindings = keymap.build_bindings("dialog", {"save": "ctrl+w"}, ids=("save", "cancel"))
    assert [(b.id, b.key) for b in bindings] == [("save", "ctrl+w"), ("cancel", "escape")]


def test_unknown_id_is_reported_with_the_closest_id() -> None:
    problems = keymap.validate_overrides({"refersh": "f5"})
    assert problems == ['[keys] refersh: no binding has this id; did you mean "refresh"? '
                        "(ignored)"]
    assert keymap.textual_keymap({"refersh": "f5"}) == {}


@pytest.mark.parametrize("value", ["", "  ", ","])
def test_empty_key_is_reported_and_default_kept(value: str) -> None:
    problems = keymap.validate_overrides({"help": value})
    assert len(problems) == 1
    assert "no key given" in problems[0] and 'keeping "?"' in problems[0]
    assert keymap.effective_keys("help", {"help": value}) == ("question_mark",)


def test_empty_alternative_between_commas_is_reported() -> None:
    (problem,) = keymap.validate_overrides({"help": "f1,,f2"})
    assert "an empty key between commas" in problem


def test_unknown_modifier_and_key_name_are_reported() -> None:
    problems = keymap.validate_overrides({"quit": "cmd+q", "add": "foo"})
    assert '"cmd" in "cmd+q" is not a modifier' in problems[0]
    assert '"foo" is not a key name' in problems[1]


def test_non_text_value_is_reported() -> None:
    (problem,) = keymap.validate_overrides({"add": 5})
    assert "expected keys as text" in problem and "got int" in problem


def test_key_taken_in_same_context_is_refused_naming_the_holder() -> None:
    overrides = {"refresh": "R"}
    (problem,) = keymap.validate_overrides(overrides)
    assert problem.startswith('[keys] refresh = "R": "R" is already taken by "refresh_all"')
    assert keymap.effective_keys("refresh", overrides) == ("r",)
    assert keymap.textual_keymap(overrides) == {}


def test_swapping_two_keys_is_allowed() -> None:
    overrides = {"refresh": "R", "refresh_all": "r"}
    assert keymap.validate_overrides(overrides) == []
    assert keymap.textual_keymap(overrides) == {"refresh": "R", "refresh_all": "r"}


def test_two_overrides_on_one_key_keep_the_first_declared() -> None:
    overrides = {"refresh": "f5", "add": "f5"}
    (problem,) = keymap.validate_overrides(overrides)
    assert problem.startswith('[keys] refresh = "f5": "f5" is already taken by "add"')
    assert keymap.textual_keymap(overrides) == {"add": "f5"}


def test_table_key_collides_with_global_key() -> None:
    (problem,) = keymap.validate_overrides({"cursor_down": "r"})
    assert 'taken by "refresh"' in problem


def test_table_detail_and_dialog_keys_do_not_meet() -> None:
    overrides = {"cursor_down": "n", "scroll_down": "n", "save": "q"}
    assert keymap.validate_overrides(overrides) == []


def test_ctrl_i_is_the_tab_key() -> None:
    (problem,) = keymap.validate_overrides({"add": "ctrl+i"})
    assert 'taken by "focus_next"' in problem


def test_keys_are_normalised_to_textual_names() -> None:
    assert keymap.normalize_key("?") == "question_mark"
    assert keymap.normalize_key("Ctrl+PageDown") == "ctrl+pagedown"
    assert keymap.normalize_key("G") == "G"
    assert keymap.normalize_key("+") == "plus"
    assert keymap.textual_keymap({"help": "F1, ?"}) == {"help": "f1,question_mark"}


def test_key_display_is_what_people_read() -> None:
    assert keymap.key_display("question_mark") == "?"
    assert keymap.key_display("ctrl+s") == "^s"
    assert keymap.key_display("escape") == "esc"


class _KeysApp(App[None]):
    BINDINGS = keymap.build_bindings("global")

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []

    def compose(self) -> ComposeResult:
        yield Static("keys")

    def action_refresh(self) -> None:
        self.ran.append("refresh")

    def action_refresh_all(self) -> None:
        self.ran.append("refresh_all")


async def test_set_keymap_with_overrides_moves_the_binding_by_id() -> None:
    app = _KeysApp()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("r", "R")
        assert app.ran == ["refresh", "refresh_all"]
        app.set_keymap(keymap.textual_keymap({"refresh": "f5", "refresh_all": "nonsense"}))
        await pilot.press("r", "f5", "R")
        assert app.ran == ["refresh", "refresh_all", "refresh", "refresh_all"]
