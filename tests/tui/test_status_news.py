"""Status-change announcements: a toast per parcel for a few, one summary for many, the bell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emstui.config import Config, Parcel
from emstui.core.model import Status
from emstui.tui.status_news import MAX_STATUS_TOASTS, StatusNews

TEA, PHONE, CAMERA = "EE123456785CN", "EA202611249CN", "EB271828189CN"
PARCELS = {TEA: Parcel(TEA, label="Tea"), PHONE: Parcel(PHONE)}


class FakeApp:
    def __init__(self) -> None:
        self.bells = 0

    def bell(self) -> None:
        self.bells += 1


class FakeView:
    """What StatusNews uses of the main screen: notify and the app's bell."""

    def __init__(self) -> None:
        self.app = FakeApp()
        self.said: list[tuple[str, str]] = []

    def notify(self, message: str, **kwargs: Any) -> None:
        assert kwargs.get("markup") is False  # parcel labels are user text: never markup
        self.said.append((kwargs.get("title", ""), message))


class FakeHost:
    def __init__(self, *, bell: bool) -> None:
        self.config = Config(path=Path("emstui.toml"))
        self.config.display.bell = bell


def news(*, bell: bool = False) -> tuple[StatusNews, FakeView]:
    view, host = FakeView(), FakeHost(bell=bell)
    parts: Any = (view, host)  # the fakes stand in for the screen and the app
    return StatusNews(*parts), view


def test_a_few_changes_are_a_toast_each_named_by_label_or_number() -> None:
    announcer, view = news()
    announcer.announce([(TEA, Status.IN_CUSTOMS, Status.DELIVERED),
                        (CAMERA, None, Status.IN_TRANSIT)], PARCELS)  # CAMERA: removed since
    assert view.said == [("Status changed", "Tea: in customs → delivered"),
                         ("Status changed", f"{CAMERA}: unknown → in transit")]


def test_many_changes_are_one_summary_counting_the_delivered() -> None:
    announcer, view = news()
    changes = [(TEA, Status.IN_CUSTOMS, Status.DELIVERED),
               (PHONE, Status.IN_TRANSIT, Status.IN_CUSTOMS),
               (CAMERA, Status.IN_TRANSIT, Status.IN_CUSTOMS)]
    assert len(changes) > MAX_STATUS_TOASTS
    announcer.announce(changes, PARCELS)
    announcer.announce(changes[1:] + changes[1:], PARCELS)  # none delivered: no count of them
    assert view.said == [("Status changed", "3 parcels changed status (1 delivered)"),
                         ("Status changed", "4 parcels changed status")]


def test_the_bell_rings_once_per_batch_only_when_configured_and_not_for_nothing() -> None:
    quiet, quiet_view = news(bell=False)
    quiet.announce([(TEA, Status.IN_CUSTOMS, Status.DELIVERED)], PARCELS)
    assert quiet_view.app.bells == 0
    loud, loud_view = news(bell=True)
    loud.announce([], PARCELS)
    assert loud_view.app.bells == 0 and loud_view.said == []
    loud.announce([(TEA, Status.IN_CUSTOMS, Status.DELIVERED), (PHONE, None, Status.DELIVERED)],
                  PARCELS)
    assert loud_view.app.bells == 1 and len(loud_view.said) == 2


def test_a_label_with_control_characters_reaches_the_toast_cleaned_and_bounded() -> None:
    announcer, view = news()
    hostile = {TEA: Parcel(TEA, label="\x1b]0;pwned\x07Tea" + " pot" * 40)}
    announcer.announce([(TEA, Status.IN_CUSTOMS, Status.DELIVERED)], hostile)
    (_, said), = view.said
    assert "\x1b" not in said and "\x07" not in said and len(said) < 100
    assert said.endswith(": in customs → delivered")
