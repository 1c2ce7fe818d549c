"""The number field on its own: its verdict texts, the block it keeps, what it tells the dialog.

The add dialog's use of it (suggestions chosen, duplicates refused, pastes previewed) is tested
through the dialog in test_tui_dialogs.py and test_tui_paste.py.
"""

from __future__ import annotations

from textual import events
from textual.app import App, ComposeResult
from textual.content import Content
from textual.widgets import Input, OptionList

from emstui.config.importer import scan_text
from emstui.core import s10
from emstui.tui.widgets.number_field import (
    NumberField,
    count_candidates,
    number_error,
    number_facts,
    spaced,
)
from emstui.tui.widgets.status_line import StatusLine

VALID = "EE123456785CN"
OTHER = "RR123456785CN"
WRONG_CHECK = "EE123456786CN"


def error_of(raw: str) -> s10.InvalidNumber:
    try:
        s10.parse(raw)
    except s10.InvalidNumber as exc:
        return exc
    raise AssertionError(f"{raw} parsed")


def styled_spans(content: Content) -> list[tuple[str, str]]:
    return [(content.plain[span.start:span.end], str(span.style)) for span in content.spans]


# ---- texts (no app needed) --------------------------------------------------------------------


def test_facts_name_the_check_digit_service_and_country() -> None:
    facts = number_facts(s10.parse(VALID)).plain
    assert facts.startswith("✓ EE 123 456 785 CN · check digit 5 is right\n")
    assert "China (CN)" in facts


def test_facts_of_another_carriers_number_say_there_is_no_check_digit() -> None:
    facts = number_facts(s10.parse("1Z999AA10123456784")).plain
    assert facts == ("✓ 1Z999AA10123456784 · not an S10 number: another carrier's, with no "
                     "check digit to verify")


def test_error_marks_the_offending_character() -> None:
    message = number_error(error_of("EE12345678SCN"))
    assert message.plain.startswith("✗ EE12345678SCN: position 11")
    assert ("S", "reverse bold") in styled_spans(message)


def test_error_points_to_listed_suggestions_instead_of_naming_them() -> None:
    exc = error_of(WRONG_CHECK)
    assert "Did you mean EE123456785CN" in number_error(exc).plain
    listed = number_error(exc, listed=True).plain
    assert listed.endswith("implies 5. Did you mean one of these?")
    assert VALID not in listed


def test_error_without_a_position_marks_nothing() -> None:
    assert not [s for s in styled_spans(number_error(error_of("EE12"))) if s[0] != "✗ "]


def test_spaced_groups_a_number_and_leaves_anything_else() -> None:
    assert spaced(VALID) == "EE 123 456 785 CN"
    assert spaced("not a number") == "not a number"


def test_a_block_counts_near_misses_with_valid_numbers() -> None:
    assert count_candidates(scan_text(f"{VALID}\n{VALID}\n")) == 1
    assert count_candidates(scan_text(f"{VALID} and {WRONG_CHECK}")) == 2


# ---- the widget -------------------------------------------------------------------------------


class FieldHost(App[None]):
    """The number field alone, recording the blocks it reports."""

    def __init__(self, existing: dict[str, str], fixed: str | None = None) -> None:
        super().__init__()
        self.field = NumberField(existing, fixed=fixed)
        self.blocks: list[int] = []

    def compose(self) -> ComposeResult:
        yield self.field

    def on_number_field_block_found(self, event: NumberField.BlockFound) -> None:
        self.blocks.append(count_candidates(event.scan))


def status_of(app: App[None]) -> tuple[str, set[str]]:
    status = app.query_one("#number-status", StatusLine)
    assert isinstance(status.content, Content)
    return status.content.plain, set(status.classes) - {"status"}


async def test_a_pasted_block_is_reported_and_kept_until_the_field_is_edited() -> None:
    app = FieldHost({})
    async with app.run_test() as pilot:
        app.query_one("#number", Input).focus()
        app.query_one("#number", Input).post_message(events.Paste(f"{VALID}\n{OTHER}\n"))
        await pilot.pause()
        assert app.blocks == [2]
        assert app.query_one("#number", Input).value == ""  # the block is not pasted in
        assert app.field.block() is None  # the dialog holds it only once previewed
        app.field.hold(scan_text(f"{VALID}\n{OTHER}\n"))
        assert app.field.block() is not None
        assert status_of(app) == ("2 numbers pasted, not added yet: Save reviews them, Cancel "
                                  "drops them", {"-warning"})
        await pilot.press("E")
        assert app.field.pending is None
        assert app.field.block() is None


async def test_checked_returns_the_normalised_number_or_refuses_a_watched_one() -> None:
    app = FieldHost({VALID: "Tea"})
    async with app.run_test() as pilot:
        number = app.query_one("#number", Input)
        number.value = "rr 123 456 785 cn"
        await pilot.pause()
        assert app.field.checked() == OTHER
        assert status_of(app)[1] == {"-ok"}

        number.value = VALID
        await pilot.pause()
        assert status_of(app) == (f"✗ {VALID} is already watched as 'Tea'", {"-error"})
        app.query_one("#suggestions", OptionList).focus()
        assert app.field.checked() is None
        assert app.focused is number


async def test_a_watched_suggestion_is_listed_but_disabled() -> None:
    app = FieldHost({VALID: ""})
    async with app.run_test() as pilot:
        app.query_one("#number", Input).value = WRONG_CHECK
        await pilot.pause()
        options = app.query_one("#suggestions", OptionList)
        assert options.has_class("-visible")
        first = options.get_option_at_index(0)
        assert first.disabled
        assert "already watched (without a label)" in str(first.prompt)
        assert options.highlighted == 1  # the first one that can be chosen


async def test_a_fixed_number_shows_its_facts_and_has_no_field() -> None:
    app = FieldHost({}, fixed=VALID)
    async with app.run_test() as pilot:
        await pilot.pause()
        assert not app.query("#number")
        text, kinds = status_of(app)
        assert text.startswith("✓ EE 123 456 785 CN") and kinds == {"-ok"}


async def test_a_status_line_shows_one_kind_at_a_time() -> None:
    app = FieldHost({})
    async with app.run_test():
        status = app.query_one("#number-status", StatusLine)
        status.show(Content("bad"), "-error")
        status.show(Content("fine"), "-ok")
        assert status_of(app) == ("fine", {"-ok"})
        status.show(Content("plain"))
        assert status_of(app) == ("plain", set())


def test_an_already_watched_label_is_cleaned_and_bounded() -> None:
    from emstui.tui.widgets.number_field import watched_as

    said = watched_as("gift " * 40 + "\x1b[31mred")
    assert len(said) < 80 and "\x1b" not in said and said.startswith("as 'gift")
    assert watched_as("") == "(without a label)"
