"""The demo watch list: a dozen parcels covering every simulated scenario."""

from __future__ import annotations

from datetime import timedelta

from emstui.sim.journeys import Journeys
from emstui.sim.numbers import make_number

# (service, serial, country, label, scenario, hours posted before the epoch)
_DEMO: tuple[tuple[str, str, str, str, str, float], ...] = (
    ("EE", "12345678", "CN", "Tea from Hangzhou", "normal", 100),
    ("EA", "20261124", "CN", "Phone case", "normal", 230),
    ("EM", "31415926", "JP", "Ceramics from Kyoto", "normal", 40),
    ("EL", "55512345", "KR", "Skincare from Seoul", "normal", 60),
    ("RR", "47312482", "CN", "Registered letter (not EMS)", "normal", 120),
    ("EB", "27182818", "CN", "Camera lens", "customs_hold", 150),
    ("EC", "16180339", "CN", "Winter boots", "failed_delivery_then_pickup", 200),
    ("ED", "14142135", "CN", "Vintage radio", "returned_to_sender", 700),
    ("EF", "17320508", "CN", "Just posted", "no_records_48h", 10),
    ("EG", "22360679", "CN", "Bike parts", "long_silence", 240),
    ("EH", "26457513", "CN", "Lost in transit", "lost", 500),
    ("EK", "30000001", "CN", "Hostile carrier text", "hostile", 150),
)


def demo_parcels() -> list[tuple[str, str, str]]:
    """(number, label, scenario) for the demo; numbers are valid S10 with check digits."""
    return [(make_number(s, serial, c), label, scenario)
            for s, serial, c, label, scenario, _ in _DEMO]


def assign_demo(journeys: Journeys) -> list[tuple[str, str, str]]:
    """Give every demo parcel its scenario and a posting time that shows it mid-story."""
    parcels = demo_parcels()
    for (number, _, scenario), row in zip(parcels, _DEMO, strict=True):
        journeys.assign(number, scenario, posted_at=journeys.epoch - timedelta(hours=row[5]))
    return parcels
