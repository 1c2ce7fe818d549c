"""The user's settings and watch list: config.toml read, checked, edited and written back safely.

The names below are the package's public surface; its modules each do one job."""

from emstui.config.edits import (
    PROVIDER_IDS,
    add_parcel,
    archive_parcels,
    check_interval,
    edit_parcel,
    remove_parcel,
    remove_parcels,
    set_archived,
    set_archived_parcels,
    set_theme,
)
from emstui.config.errors import (
    ConfigConflict,
    ConfigError,
    ConfigWriteError,
    DuplicateParcel,
    InvalidConfig,
    ParcelNotFound,
)
from emstui.config.load import MAX_CONFIG_BYTES, key_line, load_config
from emstui.config.model import (
    DEFAULT_THEME,
    KEEP,
    Config,
    Parcel,
    ProviderSettings,
    Secret,
    key_env_name,
)
from emstui.config.save import (
    HEADER_FIRST_LINE,
    dumps_config,
    example_config_text,
    init_config,
    original_path,
    save_config,
    starter_config_text,
    update_config,
)

__all__ = [
    "DEFAULT_THEME",
    "HEADER_FIRST_LINE",
    "KEEP",
    "MAX_CONFIG_BYTES",
    "PROVIDER_IDS",
    "Config",
    "ConfigConflict",
    "ConfigError",
    "ConfigWriteError",
    "DuplicateParcel",
    "InvalidConfig",
    "Parcel",
    "ParcelNotFound",
    "ProviderSettings",
    "Secret",
    "add_parcel",
    "archive_parcels",
    "check_interval",
    "dumps_config",
    "edit_parcel",
    "example_config_text",
    "init_config",
    "key_env_name",
    "key_line",
    "load_config",
    "original_path",
    "remove_parcel",
    "remove_parcels",
    "save_config",
    "set_archived",
    "set_archived_parcels",
    "set_theme",
    "starter_config_text",
    "update_config",
]
