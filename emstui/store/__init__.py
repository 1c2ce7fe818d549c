"""The SQLite history every process shares: parcels, events, errors, and the limits they share."""

from emstui.store.history import (
    MAX_DESCRIPTION,
    SCHEMA_VERSION,
    Claims,
    ProviderPause,
    StageTime,
    Store,
    StoreError,
    StoreFullError,
)

__all__ = [
    "MAX_DESCRIPTION",
    "SCHEMA_VERSION",
    "Claims",
    "ProviderPause",
    "StageTime",
    "Store",
    "StoreError",
    "StoreFullError",
]
