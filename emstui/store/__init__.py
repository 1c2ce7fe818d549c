"""The SQLite history every process shares: parcels, events, errors, and the limits they share."""

from emstui.store.history import (
    INTEGRITY_CHECK_KEY,
    MAX_DESCRIPTION,
    SCHEMA_VERSION,
    Claims,
    ProviderPause,
    ScheduleRow,
    StageTime,
    Store,
    StoreError,
    StoreFullError,
)

__all__ = [
    "INTEGRITY_CHECK_KEY",
    "MAX_DESCRIPTION",
    "SCHEMA_VERSION",
    "Claims",
    "ProviderPause",
    "ScheduleRow",
    "StageTime",
    "Store",
    "StoreError",
    "StoreFullError",
]
