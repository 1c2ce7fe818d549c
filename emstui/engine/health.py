"""What the engine tells the faces about each source: its health, in one value per provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from emstui.core.model import HealthState


@dataclass(frozen=True, slots=True)
class ProviderHealth:
    """A source's state ("ok", backing off until..., key rejected, ...) and why, in words."""

    provider: str
    state: HealthState
    message: str = ""
    until: datetime | None = None
