"""One hostile label, note and carrier event, through every way text leaves emstui.

CLI: `add` (echo and duplicate error), `list`, `list --json`, `--once` text and JSON,
`doctor`, the note about a damaged history (a path from the environment). TUI: the
status-change toast, the palette, the remove and edit dialogs, the detail panel and the
table. Nothing may reach a terminal that could set the clipboard or title, clear the screen,
reorder or hide text; JSON keeps the text exactly, with every control and format character
escaped.
"""

from __future__ import annotations

import json
import os
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import tomli_w
from apphelpers import (
    HOSTILE,
    TEA,
    World,
    detail_text,
    drain,
    make_world,
    notifications,
    running,
    screen_text,
    settle,
)
from clihelpers import cli

from emstui.config import paths
from emstui.core.s10 import make_number
from emstui.sim.server import SimServer

# OSC 52 (clipboard), OSC 0 (title), CSI 2J (clear), a C1 CSI, bidi override, zero-width
# space, markup: every one must be removed or shown literally.
LABEL = "LBL \x1b]52;c;TEFCRUw=\x07 \x1b]0;PWNED\x07 \x1b[2J\x9b\u202e\u200b [b]x[/b]"
NOTE = "N\x7f\u202e\u200bx \x1b]0;NOTEPWN\x07 end"
SHOWN_LABEL = "LBL [b]x[/b]"  # what a reader sees: the text, none of the sequences
PAYLOADS = ("TEFCRUw", "PWNED", "NOTEPWN")
NUMBER = make_number("EK", "00000077", "CN")


def unsafe_characters(text: str) -> list[str]:
    """Characters a terminal would act on, or that hide or reorder text."""
    return [f"U+{ord(c):04X}" for c in text
            if (c != "\n" and unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs"))]


def assert_terminal_safe(where: str, text: str) -> None:
    assert not unsafe_characters(text), (where, unsafe_characters(text), text)
    if "json" in where:
        return  # JSON keeps the whole text, every control character escaped
    for payload in PAYLOADS:  # the sequences went whole, not just their ESC
        assert payload not in text, (where, text)


# ---- command line -------------------------------------------------------------------------------



@pytest.fixture
def sim() -> Iterator[SimServer]:
    with SimServer(rate_limit=0) as server:
        yield server


def test_every_cli_output_of_a_hostile_label_note_and_event_is_terminal_safe(
        sim: SimServer, isolated_home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim.journeys.assign(NUMBER, "hostile", posted_at=sim.sim_now() - timedelta(days=3))
    config = Path(os.environ["EMSTUI_CONFIG"])
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(f'[providers]\norder = ["ems"]\n[providers.ems]\nbase_url = '
                      f'"{sim.url_ems}"\n', encoding="utf-8")
    # A data directory whose name (from the environment) carries an escape sequence too.
    data_dir = isolated_home / "data \x1b]0;PWNED\x07 dir"
    monkeypatch.setenv("EMSTUI_DATA_DIR", str(data_dir))

    outputs: dict[str, str] = {}
    code, out, err = cli("add", NUMBER, "--label", LABEL, "--note", NOTE)
    assert code == 0, err
    assert SHOWN_LABEL in out
    outputs["add"] = out + err
    code, out, err = cli("add", NUMBER, "--label", LABEL)
    assert code == 2 and "already in the watchlist" in err
    outputs["add duplicate"] = out + err

    code, out, err = cli("--once")
    assert code == 0, err
    assert "Long description" in out  # the hostile journey's newest event
    outputs["--once"] = out + err
    code, out, err = cli("--once", "--json", "--all")
    assert code == 0, err
    outputs["--once --json"] = out + err
    (parcel,) = json.loads(out)["parcels"]
    assert parcel["label"] == LABEL  # JSON keeps the text exactly ...
    assert "\\u009b" in out and "\\u202e" in out and "\\u200b" in out  # ... escaped
    texts = " ".join(e["description"] + e["location"] for e in parcel["events"])
    assert "EDISREVER" in texts and "[bold]x[/]" in texts  # carrier text, inert

    code, out, err = cli("list")
    assert code == 0 and SHOWN_LABEL in out
    outputs["list"] = out + err
    code, out, err = cli("list", "--json")
    assert code == 0
    (listed,) = json.loads(out)["parcels"]
    assert (listed["label"], listed["note"]) == (LABEL, NOTE)
    outputs["list --json"] = out + err

    code, out, err = cli("doctor", "--number", NUMBER)
    assert "ems" in out, out + err
    outputs["doctor"] = out + err

    store_file = paths.store_path()
    for side in store_file.parent.glob(store_file.name + "*"):
        side.unlink()
    store_file.write_bytes(b"not a database at all")
    code, out, err = cli("list")
    assert code == 0 and "moved to" in err
    outputs["list, damaged history"] = out + err

    for where, text in outputs.items():
        assert_terminal_safe(where, text)


# ---- monitor ------------------------------------------------------------------------------------


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    with make_world(tmp_path) as w:
        parsed = tomllib.loads(w.config_file.read_text(encoding="utf-8"))
        for entry in parsed["parcels"]:
            if entry["number"] == TEA:
                entry["label"], entry["note"] = LABEL, NOTE
        w.config_file.write_text(tomli_w.dumps(parsed), encoding="utf-8")
        yield w


TEN_DAYS = timedelta(days=10).total_seconds()


async def test_every_tui_output_of_a_hostile_label_note_and_event_is_terminal_safe(
        world: World) -> None:
    screens: dict[str, str] = {}
    async with running(world) as (app, pilot):
        world.clock.advance(TEN_DAYS)  # TEA's status changes: the toast names it
        await app.engine.refresh([TEA], force=True)
        await drain(pilot)
        toasts = [n for n in notifications(app) if n.startswith("Status changed")]
        assert toasts == [f"Status changed: {SHOWN_LABEL}: in customs → delivered"]
        screens["toast"] = screen_text(app)
        screens["notifications"] = "\n".join(notifications(app))

        app.main.jump_to(TEA)
        await drain(pilot)
        screens["detail"] = detail_text(app)
        assert "Nx end" in screens["detail"]
        screens["table"] = screen_text(app)
        assert SHOWN_LABEL in screens["table"]

        await pilot.press("ctrl+p")
        await pilot.press(*"LBL")
        await pilot.pause(0.2)
        screens["palette"] = screen_text(app)
        assert "LBL" in screens["palette"]
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("d")
        await pilot.pause()
        screens["remove dialog"] = screen_text(app)
        assert SHOWN_LABEL in screens["remove dialog"]
        await pilot.press("escape")
        await pilot.pause()

        await pilot.press("e")
        await pilot.pause()
        screens["edit dialog"] = screen_text(app)
        await pilot.press("escape")
        await settle(pilot)

        app.main.jump_to(HOSTILE)
        await drain(pilot)
        screens["hostile events"] = detail_text(app) + screen_text(app)
        assert "EDISREVER" in screens["hostile events"]

    for where, text in screens.items():
        assert_terminal_safe(where, text)
        assert not re.search(r"\x1b", text)
