"""The simulator package: a loopback server speaking 17TRACK v2.2 and the EMS tracker's HTML."""

from emstui.sim.demo import assign_demo, demo_parcels
from emstui.sim.faults import Decision, Faults
from emstui.sim.journeys import (
    EMS_LABELS,
    HOSTILE_STRINGS,
    SCENARIOS,
    UPU_NAMES,
    Journey,
    JourneyEvent,
    Journeys,
    default_scenario,
)
from emstui.sim.server import RequestRecord, SimServer

__all__ = [
    "EMS_LABELS",
    "HOSTILE_STRINGS",
    "SCENARIOS",
    "UPU_NAMES",
    "Decision",
    "Faults",
    "Journey",
    "JourneyEvent",
    "Journeys",
    "RequestRecord",
    "SimServer",
    "assign_demo",
    "default_scenario",
    "demo_parcels",
]
