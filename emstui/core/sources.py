"""The tracking sources emstui knows: their ids, their default order of preference, their names.

Declared once here, below both the config (which validates ids and orders) and the providers
(which build them), so neither has to import the other.
"""

from __future__ import annotations

PROVIDER_IDS: tuple[str, ...] = ("17track", "ems")
DEFAULT_PROVIDER_ORDER: tuple[str, ...] = ("17track", "ems")  # 17TRACK first; EMS the fallback
PROVIDER_NAMES: dict[str, str] = {"17track": "17TRACK", "ems": "EMS Cooperative"}
