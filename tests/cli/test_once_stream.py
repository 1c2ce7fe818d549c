"""`--once --json` is written one parcel at a time: the same document, byte for byte, as
dumping it whole, whatever the rows hold (no rows, hostile text, errors, estimates)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest

from emstui.cli.once_output import OnceRow, RowError, parcel_json, to_json, write_json
from emstui.core.model import Event, HealthState, ParcelState, ShipmentFacts, Stage, Status
from emstui.core.sanitize import json_dumps
from emstui.engine.health import ProviderHealth

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
HOSTILE = "Zoll\x1b]52;c;aGk=\x07 \u202egnp.exe\u2028next\x9b31m \ud800 \U000e0041 ✓ 東京"


def event(i: int, text: str = "Arrival") -> Event:
    return Event(time_raw=f"2026-11-2{i} 08:00", description=text, location="東京 \x85",
                 provider="ems", time_utc=NOW - timedelta(days=i), code="E1",
                 sources=("ems", "17track"))


ROWS = [
    OnceRow("EE123456785CN", "Tea \x1b[31m", ParcelState(
        "EE123456785CN", Status.IN_TRANSIT, Stage.ARRIVED, provider="ems",
        last_event=event(1, HOSTILE), next_due=NOW + timedelta(hours=1),
        facts=ShipmentFacts(destination_country="DE", eta_from=NOW, eta_to=NOW,
                            eta_source="17TRACK")),
        (event(1, HOSTILE), event(2),
         Event(time_raw="", description="", location="", provider="", code=None,
               time_local=datetime(2026, 11, 20, 9, 0), sources=())), True, None),
    OnceRow("RR000000004DE", "", None, (), False, RowError("no_source", HOSTILE)),
    OnceRow("EE000000001CN", "no events", ParcelState("EE000000001CN"), (), False, None),
]
HEALTH = {"ems": ProviderHealth("ems", HealthState.OK),
          "17track": ProviderHealth("17track", HealthState.BACKOFF, HOSTILE, NOW)}


def whole(rows: list[OnceRow]) -> str:
    """What `--once --json` printed when it built the document in memory."""
    return json_dumps({
        "generated_at": NOW.isoformat(),
        "providers": {pid: {"state": h.state, "message": h.message, "until":
                            h.until.isoformat() if h.until else None}
                      for pid, h in sorted(HEALTH.items())},
        "parcels": [parcel_json(row, NOW) for row in rows],
    }) + "\n"


@pytest.mark.parametrize("count", [0, 1, 2, 3])
def test_streamed_document_is_the_whole_document_byte_for_byte(count: int) -> None:
    rows = ROWS[:count]
    out = StringIO()
    write_json(out, iter(rows), generated_at=NOW, health=HEALTH)
    assert out.getvalue() == whole(rows)
    assert to_json(rows, generated_at=NOW, health=HEALTH) + "\n" == whole(rows)
    document = json.loads(out.getvalue())
    assert [p["number"] for p in document["parcels"]] == [r.number for r in rows]


def test_rows_are_written_as_they_come_not_collected_first() -> None:
    out = StringIO()
    seen: list[int] = []

    def rows() -> object:
        for i, row in enumerate(ROWS):
            seen.append(len(out.getvalue()))  # what was written before this row was made
            yield row
            assert row.number in out.getvalue()[seen[i]:]

    write_json(out, rows(), generated_at=NOW, health=HEALTH)  # type: ignore[arg-type]
    assert seen[0] < seen[1] < seen[2]
