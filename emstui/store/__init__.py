"""The SQLite history every process shares: parcels, events, errors, and the limits they share."""

from emstui.store.columns import MAX_DESCRIPTION
from emstui.store.connection import (
    INTEGRITY_CHECK_KEY,
    StoreError,
    StoreFullError,
    parcel_mark_key,
)
from emstui.store.coordination import Claims, ProviderPause
from emstui.store.history import Store
from emstui.store.parcel_reads import ScheduleRow, StageTime
from emstui.store.parcel_writes import ApplyResult
from emstui.store.schema import SCHEMA_VERSION

__all__ = [
    "INTEGRITY_CHECK_KEY",
    "MAX_DESCRIPTION",
    "SCHEMA_VERSION",
    "ApplyResult",
    "Claims",
    "ProviderPause",
    "ScheduleRow",
    "StageTime",
    "Store",
    "StoreError",
    "StoreFullError",
    "parcel_mark_key",
]
