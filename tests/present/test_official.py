"""Official channels: what to type, open or call for this parcel, never a link."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from emstui.core.model import ParcelState, ShipmentFacts, Stage, Status
from emstui.core.s10 import make_number
from emstui.present.official import OPERATORS, channels, destination_operator
from emstui.present.views import make_view
from emstui.tui.widgets.detail import official_content

NOW = datetime(2026, 11, 24, 12, tzinfo=UTC)


@dataclass
class Parcel:
    number: str
    label: str = ""
    note: str = ""
    provider: str | None = None
    archived: bool = False


def test_the_table_covers_at_least_40_destinations_each_with_its_public_source() -> None:
    assert len(OPERATORS) >= 40
    for code, operator in OPERATORS.items():
        assert code == operator.country and len(code) == 2 and code.isupper()
        assert operator.name
        # Text to type: no scheme, nothing a terminal could turn into a link by itself.
        assert "://" not in operator.site and " " not in operator.site and "." in operator.site
        assert operator.source.startswith(f"https://{operator.site}; https://www.upu.int/")
    assert destination_operator("de") is OPERATORS["DE"]
    assert destination_operator(None) is None and destination_operator("XX") is None


def test_an_ems_item_from_china_gets_china_ems_the_upu_tracker_and_the_destination_post(
        ) -> None:
    found = {c.what: c.how for c in channels(origin="CN", is_ems=True, destination="DE")}
    assert found["China Post EMS website"] == "www.ems.com.cn (type it yourself)"
    assert found["WeChat"] == 'account "EMS China Express" → "My EMS" → "Parcel Tracking"'
    assert found["Hotline"] == "11183 (for callers in mainland China)"
    assert "China Post" in found["China Post EMS app"]
    assert found["UPU EMS tracker"].startswith("www.ems.post")
    assert found["Destination post (DE)"] == "Deutsche Post / DHL: www.dhl.de"


def test_other_items_get_only_what_fits_them() -> None:
    found = channels(origin="GB", is_ems=False, destination="US")
    assert [(c.what, c.how) for c in found] == [
        ("Destination post (US)", "United States Postal Service (USPS): www.usps.com")]
    assert [c.what for c in channels(origin="JP", is_ems=True, destination=None)] == [
        "UPU EMS tracker"]
    assert channels(origin="", is_ems=False, destination="ZZ") == []


def test_the_detail_block_is_plain_text_to_type() -> None:
    number = make_number("EE", "00000001", "CN")
    state = ParcelState(number, status=Status.IN_TRANSIT, stage=Stage.ARRIVED,
                        facts=ShipmentFacts(destination_country="FR"))
    content = official_content(make_view(Parcel(number), state, NOW, UTC))
    lines = content.plain.splitlines()
    assert lines[:2] == ["Official channels",
                         "Type these yourself; never follow links in messages."]
    assert "  Destination post (FR): La Poste (Colissimo): www.laposte.fr" in lines
    assert all("http" not in line for line in lines)
    assert not any(span.style and "link" in str(span.style) for span in content.spans)
    unknown = make_view(Parcel("1Z999AA10123456784"), None, NOW, UTC)
    assert official_content(unknown).plain == ""
