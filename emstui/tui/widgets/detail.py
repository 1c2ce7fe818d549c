"""The detail panel: what a number is, its status in words, its advice and full event log."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, tzinfo
from typing import ClassVar

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import BindingType
from textual.containers import VerticalScroll
from textual.content import Content
from textual.widgets import Static

from emstui.core.model import Event
from emstui.core.sanitize import clean_block, clean_line
from emstui.present.advice import Advice
from emstui.present.official import channels
from emstui.present.views import NO_VALUE, ParcelView, format_event_time
from emstui.tui import keymap

_TONE_STYLE = "$status-{tone}"
_LEVEL_STYLE: dict[str, str] = {
    "info": "$text-primary",
    "tip": "$text-success",
    "warning": "$text-warning",
    "alert": "$text-error",
}
_LEVEL_MARK: dict[str, str] = {"info": "i", "tip": "*", "warning": "!", "alert": "!!"}
_KEY_WIDTH = 11


def local_zone() -> tzinfo:
    """The machine's local time zone."""
    zone = datetime.now().astimezone().tzinfo
    assert zone is not None
    return zone


def zone_name(tz: tzinfo) -> str:
    key = getattr(tz, "key", None)  # ZoneInfo
    return key if isinstance(key, str) else (tz.tzname(None) or str(tz))


def _fact(key: str, *parts: str | tuple[str, str]) -> Content:
    return Content.assemble((f"{key:<{_KEY_WIDTH}}", "$text-muted"), *parts)


def facts_content(view: ParcelView) -> Content:
    """Number facts and status, one fact a line."""
    tone = _TONE_STYLE.format(tone=view.tone)
    title = Content.assemble((f"{view.glyph} {view.status_label}", f"bold {tone}"),
                             ("  " + view.display_label, "bold"))
    lines = [title, Content("")]
    lines.append(_fact("Number", view.spaced_number))
    lines.append(_fact("Service", view.service_label))
    if view.origin_code:
        lines.append(_fact("Issued by", f"{view.origin_name or view.origin_code} "
                                        f"({view.origin_code})",
                           (" · the issuing post, not the destination", "$text-muted")))
    lines.append(_fact("Source", view.provider or "none yet"))
    status = [view.status_label]
    if view.raw_status:
        status.append(f"  (source says: {view.raw_status})")
    lines.append(_fact("Status", (status[0], tone), *status[1:]))
    if view.status_detail:
        lines.append(_fact("", (view.status_detail, "$text-secondary")))
    filled = view.stage_bar.count("▰")
    lines.append(_fact("Journey", (view.stage_bar[:filled], tone),
                       (view.stage_bar[filled:], "$text-muted"), f" {view.stage_label}"))
    if view.route:
        lines.append(_fact("Route", view.route))
    if view.eta:
        note = [(f" · {view.eta_note}", "$text-muted")] if view.eta_note else []
        lines.append(_fact("Expected", view.eta, *note))
    if view.last_mile:
        lines.append(_fact("Last mile", view.last_mile))
    lines.append(_fact("Checked", f"{view.last_checked} · next: {view.next_text}"))
    if view.sync:
        # The source's own copy of the carrier's data: old news when its sync fails.
        lines.append(_fact("Sync", ("source ↔ carrier: ", "$text-muted"),
                           (view.sync, "$text-warning") if view.sync_problem else view.sync))
    if view.error:
        lines.append(_fact("Problem", (f"{view.error_short}: {view.error}", "$text-error")))
    if view.unseen:
        lines.append(_fact("New", (f"{view.unseen} new event(s) since you last looked",
                                   "bold $accent")))
    if view.note:
        lines.append(_fact("Note", view.note))
    return Content("\n").join(lines)


def advice_content(advice: Sequence[Advice]) -> Content:
    """Advice items: level-coloured title, body, and the fact that triggered it in dim."""
    if not advice:
        return Content("")
    lines: list[Content] = [Content.styled("Advice", "bold underline")]
    for item in advice:
        level = str(getattr(item.level, "value", item.level))
        style = _LEVEL_STYLE.get(level, "$text-primary")
        mark = _LEVEL_MARK.get(level, "·")
        lines.append(Content(""))
        lines.append(Content.assemble((f"{mark:>2} {clean_line(item.title)}", f"bold {style}")))
        for body_line in clean_block(item.body).split("\n"):
            lines.append(Content("   " + body_line))
        if item.trigger:
            lines.append(Content.styled("   because " + clean_line(item.trigger), "dim"))
    return Content("\n").join(lines)


def official_content(view: ParcelView) -> Content:
    """Where to check the parcel officially: text to type yourself, never a link."""
    found = channels(origin=view.origin_code, is_ems=view.is_ems,
                     destination=view.destination or None)
    if not found:
        return Content("")
    lines = [Content.styled("Official channels", "bold underline"),
             Content.styled("Type these yourself; never follow links in messages.",
                            "$text-muted")]
    for channel in found:
        lines.append(Content.assemble(("  " + channel.what + ": ", "$text-muted"), channel.how))
    return Content("\n").join(lines)


def events_content(events: Sequence[Event], tz: tzinfo) -> Content:
    """The full event log, newest first, times in the user's zone where the instant is known."""
    heading = Content.styled(f"Events ({len(events)}), newest first", "bold underline")
    if not events:
        return Content.assemble(heading, "\n", ("No events yet.", "$text-muted"))
    legend = Content.styled(f"Times in {zone_name(tz)}; \"site time\" is the scan site's own "
                            "clock where the source gave no zone.", "$text-muted")
    lines = [heading, legend]
    for event in events:
        when, in_user_zone = format_event_time(event, tz)
        head = [(when, "bold")]
        if not in_user_zone and event.time_local is not None:
            head.append((" site time", "$text-warning"))
        location = clean_line(event.location)
        head.append(("  " + (location or NO_VALUE), "$text-secondary" if location else
                     "$text-muted"))
        lines.append(Content(""))
        lines.append(Content.assemble(*head))
        detail: list[str | tuple[str, str]] = ["   " + (clean_line(event.description, limit=500)
                                                        or NO_VALUE)]
        tags = [t for t in (event.stage.label if event.stage and event.stage.index else "",
                            clean_line(event.code or "", limit=10),
                            " + ".join(clean_line(source, limit=20)
                                       for source in event.reported_by[:3])) if t]
        if tags:
            detail.append(("  · " + " · ".join(tags), "$text-muted"))
        lines.append(Content.assemble(*detail))
    return Content("\n").join(lines)


class DetailPanel(VerticalScroll):
    """Scrollable, focusable details of one parcel. Feed it with `show`."""

    BINDINGS: ClassVar[list[BindingType]] = list(keymap.build_bindings("detail"))

    DEFAULT_CSS = """
    DetailPanel {
        padding: 0 1;
        & > Static { width: 1fr; }
        & > #detail-advice { margin-top: 1; }
        & > #detail-official { margin-top: 1; }
        & > #detail-events { margin-top: 1; }
    }
    """

    def __init__(self, *, tz: tzinfo | None = None, name: str | None = None,
                 id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.tz = tz or local_zone()
        self.number: str | None = None
        self._pending: tuple[ParcelView | None, list[Event], list[Advice]] | None = None
        self._composed = False
        self._shown: dict[Static, Content] = {}

    def on_mount(self) -> None:
        self._composed = True  # is_mounted only turns True after this handler
        if self._pending is not None:
            pending, self._pending = self._pending, None
            self.show(*pending)

    def compose(self) -> ComposeResult:
        yield Static(Content.styled("No parcel selected.", "$text-muted"), id="detail-facts")
        yield Static(Content(""), id="detail-advice")
        yield Static(Content(""), id="detail-official")
        yield Static(Content(""), id="detail-events")

    def show(self, parcel_view: ParcelView | None, events: Sequence[Event],
             advice: Sequence[Advice]) -> None:
        """Show one parcel (None: nothing selected). All remote text is shown as plain text."""
        if not self._composed:
            self._pending = (parcel_view, list(events), list(advice))
            return
        previous, self.number = self.number, parcel_view.number if parcel_view else None
        facts = self.query_one("#detail-facts", Static)
        advice_box = self.query_one("#detail-advice", Static)
        official_box = self.query_one("#detail-official", Static)
        events_box = self.query_one("#detail-events", Static)
        official = official_content(parcel_view) if parcel_view else Content("")
        if parcel_view is None:
            self._set(facts, Content.styled("No parcel selected.", "$text-muted"))
            self._set(advice_box, Content(""))
            self._set(events_box, Content(""))
        else:
            self._set(facts, facts_content(parcel_view))
            self._set(advice_box, advice_content(advice))
            self._set(events_box, events_content(events, self.tz))
        self._set(official_box, official)
        advice_box.display = bool(parcel_view and advice)
        official_box.display = bool(official.plain)
        if previous != self.number:
            self.scroll_home(animate=False)

    def _set(self, box: Static, content: Content) -> None:
        """Update a box only when its content changed, and lay the panel out again only when
        its height can have changed (the minute tick changes an age in the facts: no layout)."""
        old = self._shown.get(box)
        if old is not None and old.plain == content.plain and old.spans == content.spans:
            return
        self._shown[box] = content
        box.update(content, layout=old is None or not _same_height(old, content,
                                                                   box.content_region.width))


def _same_height(old: Content, new: Content, width: int) -> bool:
    """Whether `new` takes as many lines as `old` in a box `width` wide: the same lines, none
    long enough to wrap."""
    old_lines, new_lines = old.plain.split("\n"), new.plain.split("\n")
    return (width > 0 and len(old_lines) == len(new_lines)
            and all(cell_len(line) <= width for line in (*old_lines, *new_lines)))
