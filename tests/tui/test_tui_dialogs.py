"""The dialogs (parcel form, confirmations, help) and the command palette providers, driven
through Textual's Pilot."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from textual import events
from textual.app import App, ComposeResult
from textual.command import Hit, Provider
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Button, Checkbox, Input, OptionList, Select, Static

from emstui.core.model import Status
from emstui.present.views import GLYPHS, STATUS_WORDS, status_order
from emstui.tui import keymap
from emstui.tui.commands import ActionCommands, ParcelsCommands
from emstui.tui.messages import JumpToParcel
from emstui.tui.screens import (
    ConfirmRemoveScreen,
    HelpScreen,
    ParcelDraft,
    ParcelFormScreen,
    RemoveChoice,
)
from emstui.tui.screens.help import ID_WIDTH, KEYS_WIDTH, LINE_BUDGET, HelpBody, binding_line
from emstui.tui.screens.legend import colour_name, legend_content
from emstui.tui.widgets.ordered_input import OrderedInput

SIZE = (100, 30)
VALID = "EE123456785CN"


class Harness(App[None]):
    """Pushes one screen on mount and records what it was dismissed with."""

    def __init__(self, screen: Screen[Any] | None = None) -> None:
        super().__init__()
        self._first = screen
        self.results: list[object] = []

    def compose(self) -> ComposeResult:
        yield Static("main")

    def on_mount(self) -> None:
        if self._first is not None:
            self.push_screen(self._first, self.results.append)


def text_of(screen: Screen[Any], selector: str) -> str:
    content = screen.query_one(selector, Static).content
    assert isinstance(content, Content)
    return content.plain


async def type_text(pilot: Any, text: str) -> None:
    """Real key presses, for tests about typing (slower than `fill`)."""
    await pilot.press(*text)
    await pilot.pause()


async def fill(pilot: Any, selector: str, text: str) -> None:
    """Set a field as if typed (Input.Changed fires the same way), and focus it."""
    field = pilot.app.screen.query_one(selector, Input)
    field.focus()
    field.value = text
    field.cursor_position = len(text)
    await pilot.pause()


# ---- parcel form ----------------------------------------------------------------------------


async def test_wrong_check_digit_shows_specific_error_and_suggestion() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await type_text(pilot, "EE123456786CN")
        status = text_of(app.screen, "#number-status")
        assert "check digit (position 11) is 6, but the serial 12345678 implies 5" in status
        suggestions = app.screen.query_one("#suggestions", OptionList)
        assert suggestions.display
        assert suggestions.options[0].id == VALID


async def test_choosing_suggestion_fixes_field_and_save_returns_normalised_draft() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", "ee123456786cn")
        await pilot.press("tab")
        assert app.focused is app.screen.query_one("#suggestions", OptionList)
        await pilot.press("enter")
        await pilot.pause()
        assert app.screen.query_one("#number", Input).value == VALID
        assert app.focused is app.screen.query_one("#label", Input)
        assert not app.screen.query_one("#suggestions", OptionList).display
        assert "EE 123 456 785 CN" in text_of(app.screen, "#number-status")
        await type_text(pilot, "Tea")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "Tea", "", None, None)]


async def test_pasted_number_with_spaces_and_lower_case_is_accepted() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        number = app.screen.query_one("#number", Input)
        number.post_message(events.Paste("ee 1234 5678 5cn"))
        await pilot.pause()
        status = text_of(app.screen, "#number-status")
        assert "EE 123 456 785 CN" in status
        assert "check digit 5 is right" in status
        assert "EMS (express mail service)" in status and "China (CN)" in status
        await pilot.click("#save")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID)]


async def test_duplicate_is_refused_naming_the_existing_label() -> None:
    app = Harness(ParcelFormScreen({VALID: "Tea"}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", "ee 123 456 785 cn")
        assert "EE123456785CN is already watched as 'Tea'" in text_of(app.screen,
                                                                      "#number-status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ParcelFormScreen)
        assert app.focused is app.screen.query_one("#number", Input)
    assert app.results == []


async def test_suggestion_already_watched_is_shown_but_cannot_be_chosen() -> None:
    app = Harness(ParcelFormScreen({VALID: "Tea"}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", "EE123456786CN")
        options = app.screen.query_one("#suggestions", OptionList).options
        watched = [o for o in options if o.id == VALID]
        assert watched and watched[0].disabled
        assert "already watched as 'Tea'" in str(watched[0].prompt)


async def test_bad_interval_shows_error_and_blocks_save() -> None:
    app = Harness(ParcelFormScreen({}, default_interval=3600))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", VALID)
        app.screen.query_one("#interval", Input).focus()
        await type_text(pilot, "5x")
        assert "'5x' is not a duration" in text_of(app.screen, "#interval-status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        assert isinstance(app.screen, ParcelFormScreen)
        assert app.focused is app.screen.query_one("#interval", Input)
        await fill(pilot, "#interval", "1m")  # below the minimum the config accepts
        assert "1m is too short" in text_of(app.screen, "#interval-status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.results == []
        await fill(pilot, "#interval", "1h30m")
        assert "checked every 1h30m" in text_of(app.screen, "#interval-status")
        await pilot.press("enter")  # enter on the last field saves
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, interval=5400)]


async def test_invalid_number_blocks_save() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", "EE12345678CN")
        assert "a digit is missing" in text_of(app.screen, "#number-status")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ParcelFormScreen)
    assert app.results == []


async def test_escape_returns_none() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", VALID)
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ParcelFormScreen)
    assert app.results == [None]


async def test_the_cancel_button_returns_none() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", VALID)
        await pilot.click("#cancel")
        await pilot.pause()
        assert not isinstance(app.screen, ParcelFormScreen)
    assert app.results == [None]


async def test_enter_moves_through_fields_and_label_is_cleaned() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", VALID)
        await pilot.press("enter")
        assert app.focused is app.screen.query_one("#label", Input)
        app.screen.query_one("#label", Input).value = "  Tea \x1b[31m[bold]pot[/]  "
        await pilot.press("enter")
        assert app.focused is app.screen.query_one("#note", Input)
        await fill(pilot, "#note", "from seller")
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "Tea [bold]pot[/]", "from seller")]


async def test_edit_keeps_the_number_and_returns_changed_fields() -> None:
    parcel = ParcelDraft(VALID, "Tea", "note", 1800, "ems")
    app = Harness(ParcelFormScreen({VALID: "Tea"}, editing=parcel))
    async with app.run_test(size=SIZE) as pilot:
        assert not app.screen.query("#number")  # no editable number field
        assert "EE 123 456 785 CN" in text_of(app.screen, "#number-status")
        label = app.screen.query_one("#label", Input)
        assert app.focused is label and label.value == "Tea"
        assert app.screen.query_one("#interval", Input).value == "30m"
        assert app.screen.query_one("#provider", Select).value == "ems"
        label.value = "Green tea"
        app.screen.query_one("#provider", Select).value = ""
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "Green tea", "note", 1800, None)]


class BareInputApp(App[None]):
    def compose(self) -> ComposeResult:
        yield Input("Tea", id="plain")
        yield OrderedInput("Tea", id="ordered")


def burst(app: App[Any], *keys: str) -> None:
    """Keys arriving together, as a terminal delivers fast typing: posted before any runs."""
    for key in keys:
        character = key if len(key) == 1 else {"ctrl+u": "\x15", "backspace": "\x08"}.get(key)
        app.post_message(events.Key(key, character))


async def test_textual_input_applies_a_burst_out_of_order_and_ordered_input_does_not() -> None:
    # Why OrderedInput exists: Textual runs Input's own bindings (ctrl+u) only after the key
    # bubbled up to the App, so the "AB" typed after it is inserted first, then cleared. If this
    # first assertion ever fails, Textual fixed it and OrderedInput can go.
    app = BareInputApp()
    async with app.run_test(size=SIZE) as pilot:
        for selector in ("#plain", "#ordered"):
            field = app.query_one(selector, Input)
            field.focus()
            await pilot.pause()
            burst(app, "end", "ctrl+u", "A", "B")
            await pilot.pause(0.2)
        assert app.query_one("#plain", Input).value == ""
        assert app.query_one("#ordered", Input).value == "AB"


async def test_edit_form_keeps_a_label_typed_right_after_clearing_it() -> None:
    app = Harness(ParcelFormScreen({VALID: "Tea"}, editing=ParcelDraft(VALID, "Tea", "note")))
    async with app.run_test(size=SIZE) as pilot:
        burst(app, "end", "ctrl+u", *"Green tea")
        await pilot.pause(0.2)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "Green tea", "note")]


async def test_edit_form_never_blanks_a_label_without_a_second_save() -> None:
    app = Harness(ParcelFormScreen({VALID: "Tea"}, editing=ParcelDraft(VALID, "Tea", "note")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "ctrl+u", "ctrl+s")
        await pilot.pause()
        assert app.results == []  # not saved: the form says why and waits
        assert "label is empty" in text_of(app.screen, "#label-status")
        assert app.focused is app.screen.query_one("#label", Input)
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "", "note")]


async def test_edit_form_asks_again_after_the_label_was_typed_and_cleared_once_more() -> None:
    app = Harness(ParcelFormScreen({VALID: "Tea"}, editing=ParcelDraft(VALID, "Tea", "note")))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("end", "ctrl+u", "ctrl+s")
        await pilot.press("x", "backspace", "ctrl+s")  # an edit since: ask again
        await pilot.pause()
        assert app.results == []


async def test_edit_returns_an_untouched_multiline_note_as_it_was() -> None:
    note = "Seller said:\nships within 3 days"
    app = Harness(ParcelFormScreen(editing=ParcelDraft(VALID, "Tea", note)))
    async with app.run_test(size=SIZE) as pilot:
        assert app.screen.query_one("#note", Input).value == "Seller said: ships within 3 days"
        app.screen.query_one("#label", Input).value = "Green tea"
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, "Green tea", note)]


async def test_provider_chosen_from_the_list_is_returned() -> None:
    app = Harness(ParcelFormScreen({}))
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#number", VALID)
        app.screen.query_one("#provider", Select).focus()
        await pilot.press("enter")  # open the list
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # Automatic -> 17TRACK -> EMS Cooperative
        await pilot.pause()
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert app.results == [ParcelDraft(VALID, provider="ems")]


# ---- confirmations --------------------------------------------------------------------------


async def test_remove_dialog_names_the_parcel_and_focuses_cancel() -> None:
    app = Harness(ConfirmRemoveScreen(VALID, "[red]Tea[/]"))
    async with app.run_test(size=SIZE) as pilot:
        body = text_of(app.screen, "#body")
        assert "Stop watching '[red]Tea[/]' (EE 123 456 785 CN)?" in body
        assert app.focused is app.screen.query_one("#cancel", Button)
        await pilot.press("enter")
        await pilot.pause()
    assert app.results == [None]


async def test_remove_with_y_keeps_history() -> None:
    app = Harness(ConfirmRemoveScreen(VALID, "Tea"))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("y")
        await pilot.pause()
    assert app.results == [RemoveChoice.KEEP_HISTORY]


async def test_remove_with_purge_checked_purges_history() -> None:
    app = Harness(ConfirmRemoveScreen(VALID, "Tea"))
    async with app.run_test(size=SIZE) as pilot:
        app.screen.query_one("#purge", Checkbox).focus()
        await pilot.press("space")
        await pilot.click("#remove")
        await pilot.pause()
    assert app.results == [RemoveChoice.PURGE_HISTORY]


async def answers(factory: Any, keys: list[str]) -> list[object]:
    """Push a fresh screen from `factory` for each key, press it, collect the results."""
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        for key in keys:
            app.push_screen(factory(), app.results.append)
            await pilot.pause()
            await pilot.press(key)
            await pilot.pause()
            assert app.screen.__class__ is Screen, key  # back on the default screen
    return app.results


async def test_remove_n_and_escape_cancel() -> None:
    assert await answers(lambda: ConfirmRemoveScreen(VALID), ["n", "escape"]) == [None, None]


async def test_remapped_confirm_key_is_shown_and_works() -> None:
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        app.set_keymap(keymap.textual_keymap({"confirm": "o"}))
        app.push_screen(ConfirmRemoveScreen(VALID, "Tea"), app.results.append)
        await pilot.pause()
        assert str(app.screen.query_one("#remove", Button).label) == "Remove (o)"
        await pilot.press("y")
        await pilot.pause()
        assert app.results == []
        await pilot.press("o")
        await pilot.pause()
    assert app.results == [RemoveChoice.KEEP_HISTORY]


# ---- help -----------------------------------------------------------------------------------


def _help_lines(screen: Screen[Any]) -> dict[str, str]:
    """What the help shows for each binding: explanation -> keys."""
    return {what: keys for what, (keys, _id) in _help_rows(screen).items()}


def _help_rows(screen: Screen[Any]) -> dict[str, tuple[str, str]]:
    """What the help shows for each binding: explanation -> (keys, binding id)."""
    rows: dict[str, tuple[str, str]] = {}
    for context in keymap.CONTEXTS:
        for line in text_of(screen, f"#context-{context}").splitlines()[1:]:
            keys = line[2:2 + KEYS_WIDTH].strip()
            binding_id = line[3 + KEYS_WIDTH:3 + KEYS_WIDTH + ID_WIDTH].strip()
            what = line[3 + KEYS_WIDTH + ID_WIDTH:].strip()
            rows[f"{context}: {what}"] = (keys, binding_id)
    return rows


async def test_help_shows_each_bindings_id_next_to_its_keys() -> None:
    app = Harness(HelpScreen({"refresh": "f5"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        rows = _help_rows(app.screen)
        assert rows["global: Refresh the highlighted or the marked now"] == ("f5", "refresh")
        assert rows["global: Refresh every watched parcel now"] == ("R", "refresh_all")
        assert rows["table: Next parcel"] == ("j ↓", "cursor_down")
        shown = sorted(binding_id for _keys, binding_id in rows.values())
        assert shown == sorted(spec.id for spec in keymap.SPECS)
        assert "id in [keys]" in text_of(app.screen, "#columns")


def test_binding_ids_fit_their_column() -> None:
    assert all(len(spec.id) < ID_WIDTH for spec in keymap.SPECS)


async def test_help_lists_every_binding_with_remapped_keys() -> None:
    overrides = {"refresh": "f5", "help": "f1,?", "refersh": "x"}
    app = Harness(HelpScreen(overrides))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        lines = _help_lines(app.screen)
        assert len(lines) == len(keymap.SPECS)
        assert lines["global: Refresh the highlighted or the marked now"] == "f5"
        assert lines["global: Show every key (this list)"] == "f1 ?"
        assert lines["table: Next parcel"] == "j ↓"
        assert lines["dialog: Save the form, or add the pasted numbers"] == "^s"
        assert 'did you mean "refresh"' in text_of(app.screen, "#problems")


async def test_help_opens_with_the_legend_then_the_session_note_then_the_keys() -> None:
    app = Harness(HelpScreen(note="Demo: one simulated day per minute.\x1b[2J"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        body = app.screen.query_one(HelpBody)
        ids = [child.id for child in body.children]
        assert ids[:4] == ["legend", "session", "columns", "context-global"]
        legend = text_of(app.screen, "#legend").splitlines()
        statuses, marks = legend[1:legend.index("Marks")], "\n".join(legend[legend.index("Marks"):])
        # Every status in the table's order, with its glyph and word.
        assert [row.split()[:2] for row in statuses] == [
            [GLYPHS[s], STATUS_WORDS[s].split()[0]] for s in status_order()]
        assert "●" in marks and "new events since" in marks
        assert "!!" in marks and "quiet longer than usual" in marks
        assert "retry" in marks and "overdue" in marks
        assert all(len(line) <= 76 for line in legend)  # inside the dialog at 80 columns
        # The note is shown as plain text: the escape sequence is gone.
        assert text_of(app.screen, "#session").endswith("one simulated day per minute.")


def test_colour_names_for_truecolour_and_ansi_theme_values() -> None:
    cases = {"#F2C14E": "yellow", "#9A6700": "yellow", "#FF9F43": "orange", "#5FD38D": "green",
             "#56D4E0": "cyan", "#0E7490": "cyan", "#FF6B6B": "red", "#CF222E": "red",
             "#8B949E": "grey", "#FF87FF": "magenta", "#FFFFFF": "white", "#000000": "black",
             "ansi_yellow": "yellow", "ansi_bright_red": "bright red", "ansi_default": "plain",
             "not a colour": "plain", "": "plain"}
    assert {value: colour_name(value) for value in cases} == cases


def test_legend_names_the_colours_of_the_theme_in_force() -> None:
    ansi = {f"status-{tone}": f"ansi_{colour}" for tone, colour in (
        ("exception", "red"), ("attention", "magenta"), ("customs", "blue"),
        ("transit", "cyan"), ("unknown", "default"), ("delivered", "green"))}
    lines = legend_content(ansi).plain.splitlines()
    customs = next(line for line in lines if f"{GLYPHS[Status.IN_CUSTOMS]} customs" in line)
    assert customs.split()[2] == "blue"
    unknown = next(line for line in lines if "no record" in line)
    assert unknown.split()[3] == "plain"


def test_help_underlines_only_remapped_keys() -> None:
    resolution = keymap.resolve({"refresh": "f5"})
    remapped = binding_line(keymap.spec("refresh"), resolution)
    default = binding_line(keymap.spec("add"), resolution)
    assert any("underline" in str(span.style) for span in remapped.spans)
    assert not any("underline" in str(span.style) for span in default.spans)


def test_help_explanations_fit_beside_the_keys_at_80_columns() -> None:
    assert all(len(spec.explanation) <= LINE_BUDGET for spec in keymap.SPECS)


async def test_help_closes_with_escape_question_mark_and_q() -> None:
    keys = ["escape", "question_mark", "q"]
    assert await answers(HelpScreen, keys) == [None, None, None]


async def test_help_closes_with_the_remapped_help_key() -> None:
    app = Harness()
    async with app.run_test(size=SIZE) as pilot:
        app.set_keymap(keymap.textual_keymap({"help": "f1"}))
        app.push_screen(HelpScreen({"help": "f1"}), app.results.append)
        await pilot.pause()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("f1")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


# ---- command palette ------------------------------------------------------------------------


class PaletteScreen(Screen[None]):
    """Implements PaletteHost and records what the palette asked for."""

    COMMANDS: ClassVar[set[type[Provider] | Callable[[], type[Provider]]]] = {
        ParcelsCommands, ActionCommands}

    def __init__(self, ran: list[str]) -> None:
        super().__init__()
        self.refresh_paused = False
        self.show_archived = False
        self.jumped: list[str] = []
        self.ran = ran

    def compose(self) -> ComposeResult:
        yield Static("main")

    def palette_parcels(self) -> list[tuple[str, str]]:
        return [(VALID, "Tea from Hangzhou"), ("RR123456785DE", "[b]Boots[/b]"),
                ("CP987654321US", "")]

    def config_location(self) -> Path:
        return Path("/home/me/.config/emstui/config.toml")

    def on_jump_to_parcel(self, message: JumpToParcel) -> None:
        self.jumped.append(message.number)

    def action_add(self) -> None:
        self.ran.append("add")

    def action_toggle_pause(self) -> None:
        self.ran.append("toggle_pause")


class PaletteApp(App[None]):
    """The palette's providers on a PaletteScreen; themes are the app's action."""

    def __init__(self) -> None:
        super().__init__()
        self.ran: list[str] = []
        self.main = PaletteScreen(self.ran)

    def get_default_screen(self) -> Screen[Any]:
        return self.main

    def action_set_theme(self, name: str) -> None:
        self.ran.append(f"theme:{name}")


async def _hits(provider: Any, query: str) -> list[Hit]:
    return [hit async for hit in provider.search(query)]


async def test_parcels_provider_finds_by_label_and_by_number() -> None:
    app = PaletteApp()
    async with app.run_test(size=SIZE) as pilot:
        provider = ParcelsCommands(app.screen)
        by_label = await _hits(provider, "hangzhou")
        assert [hit.text for hit in by_label] == [f"Tea from Hangzhou  {VALID}"]
        by_number = await _hits(provider, "cp 9876")
        assert [hit.text for hit in by_number] == ["CP987654321US"]
        assert await _hits(provider, "zzzz") == []
        by_number[0].command()
        await pilot.pause()
        assert app.main.jumped == ["CP987654321US"]


async def test_parcel_label_markup_is_shown_literally() -> None:
    app = PaletteApp()
    async with app.run_test(size=SIZE):
        (hit,) = await _hits(ParcelsCommands(app.screen), "boots")
        assert isinstance(hit.prompt, Content)
        assert hit.prompt.plain == "[b]Boots[/b]  RR123456785DE"


async def test_choosing_a_parcel_in_the_palette_posts_jump() -> None:
    app = PaletteApp()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+p")
        await type_text(pilot, "hangzhou")
        await pilot.wait_for_scheduled_animations()
        await pilot.pause(0.2)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("enter")
        await pilot.pause()
        assert app.main.jumped == [VALID]


async def test_action_commands_follow_app_state_and_run_actions() -> None:
    app = PaletteApp()
    async with app.run_test(size=SIZE) as pilot:
        provider = ActionCommands(app.screen)
        (pause,) = await _hits(provider, "pause refreshing")
        assert pause.text == "Pause refreshing"
        app.main.refresh_paused = True
        assert [h.text for h in await _hits(provider, "resume")] == ["Resume refreshing"]
        (add,) = await _hits(provider, "add a parcel")
        await add.command()
        themes = [h.text for h in await _hits(provider, "theme:")]
        assert "Theme: textual-light" in themes
        (light,) = [h for h in await _hits(provider, "theme:") if
                    h.text == "Theme: textual-light"]
        await light.command()
        await pilot.pause()
        assert app.ran == ["add", "theme:textual-light"]


async def test_config_location_command_notifies_the_path() -> None:
    app = PaletteApp()
    async with app.run_test(size=SIZE) as pilot:
        (hit,) = await _hits(ActionCommands(app.screen), "config file location")
        hit.command()
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages == ["/home/me/.config/emstui/config.toml"]
