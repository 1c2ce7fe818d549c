"""The mark set behind Space: marking order, counting hidden marks, and dropping removed ones."""

from __future__ import annotations

from emstui.tui.marks import MarkSet, count_text, listing, parcels_phrase


def test_toggle_marks_then_unmarks_and_keeps_marking_order() -> None:
    marks = MarkSet()
    assert not marks and len(marks) == 0
    assert marks.toggle("B") is True
    assert marks.toggle("A") is True
    assert marks.toggle("C") is True
    assert marks.toggle("A") is False
    assert list(marks) == ["B", "C"]
    assert "B" in marks and "A" not in marks


def test_mark_and_unmark_report_only_what_changed() -> None:
    marks = MarkSet(["A"])
    assert marks.mark(["A", "B", "B", "C"]) == ["B", "C"]
    assert marks.unmark(["C", "X"]) == ["C"]
    assert list(marks) == ["A", "B"]
    assert marks.clear() == ["A", "B"]
    assert not marks


def test_removed_parcels_drop_their_marks() -> None:
    marks = MarkSet(["A", "B", "C"])
    assert marks.keep_only({"A", "C", "D"}) == ["B"]
    assert list(marks) == ["A", "C"]


def test_hidden_marks_are_counted_and_said() -> None:
    marks = MarkSet(["A", "B", "C"])
    shown = {"A", "C"}
    assert marks.hidden(shown.__contains__) == 1
    assert count_text(len(marks), marks.hidden(shown.__contains__)) == "3 marked (1 hidden)"
    assert count_text(2, 0) == "2 marked"
    assert count_text(0, 0) == ""


def test_a_listing_names_the_first_few_sanitised_and_counts_the_rest() -> None:
    titles = ["Tea\x1b[31m red", *(f"P{i}" for i in range(6))]
    lines = listing(titles, limit=3)
    assert lines == ["Tea red", "P0", "P1", "… and 4 more"]  # the escape sequence is gone
    assert listing(["one"]) == ["one"]
    assert parcels_phrase(1) == "1 parcel" and parcels_phrase(3) == "3 parcels"
