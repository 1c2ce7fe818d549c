"""Where emstui keeps its files: config, history database and user themes.

Config file, first match wins:
  1. ``--config PATH`` on the command line;
  2. ``$EMSTUI_CONFIG``;
  3. ``platformdirs.user_config_path("emstui") / "config.toml"``
     (``~/.config/emstui/config.toml`` on Linux).

Data directory (holds the SQLite history ``history.sqlite3``):
  1. ``$EMSTUI_DATA_DIR`` (for demos, tests, or keeping several watchlists apart);
  2. ``platformdirs.user_data_path("emstui")`` (``~/.local/share/emstui`` on Linux).

User themes live in a ``themes`` directory next to the config file in use.
Nothing here creates a directory: callers that write create what they need.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "emstui"
CONFIG_ENV = "EMSTUI_CONFIG"
DATA_DIR_ENV = "EMSTUI_DATA_DIR"
CONFIG_FILENAME = "config.toml"
STORE_FILENAME = "history.sqlite3"
THEMES_DIRNAME = "themes"


def default_config_path() -> Path:
    """The platform's per-user config file, ignoring --config and $EMSTUI_CONFIG."""
    return platformdirs.user_config_path(APP_NAME) / CONFIG_FILENAME


def config_path(cli: str | Path | None = None) -> Path:
    """The config file to use: ``--config`` > ``$EMSTUI_CONFIG`` > the platform default."""
    if cli is not None and str(cli) != "":
        return _absolute(cli)
    env = os.environ.get(CONFIG_ENV, "")
    if env.strip():
        return _absolute(env)
    return default_config_path()


def data_dir() -> Path:
    """Directory for the history database: ``$EMSTUI_DATA_DIR`` or the platform data dir."""
    env = os.environ.get(DATA_DIR_ENV, "")
    if env.strip():
        return _absolute(env)
    return platformdirs.user_data_path(APP_NAME)


def store_path() -> Path:
    """The SQLite history file inside data_dir()."""
    return data_dir() / STORE_FILENAME


def user_themes_dir(config_file: Path) -> Path:
    """User theme files (``*.toml``) sit in ``themes/`` beside the config file in use."""
    return config_file.parent / THEMES_DIRNAME


def _absolute(value: str | Path) -> Path:
    # Absolute so messages name an unambiguous file, whatever the working directory.
    return Path(value).expanduser().absolute()
