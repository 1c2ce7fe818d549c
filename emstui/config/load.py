"""Reading the config: `load_config` returns typed values and collects every problem at once;
each `ConfigError` names the file, a line (and column) or a key path, what is wrong and what to do.
Unknown keys produce warnings and are kept."""

from __future__ import annotations

import difflib
import hashlib
import os
import re
import stat
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from emstui.config import fasttoml, paths
from emstui.config.atomic import backup_path
from emstui.config.errors import ConfigError, InvalidConfig
from emstui.config.model import (
    SECTIONS,
    Config,
    DisplaySettings,
    Parcel,
    ProviderSettings,
    RefreshSettings,
    _read_env_key,
    key_env_name,
)
from emstui.config.notify import KNOWN_KEYS as KNOWN_NOTIFY_KEYS
from emstui.config.notify import notify_problems
from emstui.config.schema import (
    _DISPLAY_KEYS,
    _KEY_HINT,
    _ORDER_KEY,
    _PARCEL_KEYS,
    _PROVIDER_KEYS,
    _REFRESH_KEYS,
    _Bad,
    _got,
    _Key,
    _parse_number,
    key_problem,
)
from emstui.core.sanitize import clean_line
from emstui.core.sources import PROVIDER_IDS

MAX_CONFIG_BYTES = 2 * 1024 * 1024


def load_config(path: str | Path | None = None) -> Config:
    """Read and validate the config; a missing file gives the defaults with ``exists=False``.

    ``path`` is resolved like ``--config`` (None: ``$EMSTUI_CONFIG``, then the platform
    default). Raises ConfigError (InvalidConfig when there are several problems).
    """
    path = paths.config_path(path)
    data = _read_bytes(path)
    if data is None:
        return _Loader(path, "").build({})  # the defaults, keys from the environment checked
    text = _decode_utf8(path, data)
    try:
        document = fasttoml.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise _syntax_error(path, error) from None
    config = _Loader(path, text).build(document)
    config.exists = True
    config.fingerprint = _fingerprint(data)
    return config


def _read_bytes(path: Path) -> bytes | None:
    """The file's bytes, None when it does not exist; readable errors for everything else."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError
            if info.st_size > MAX_CONFIG_BYTES:
                raise _too_big(path, info.st_size)
            data = handle.read(MAX_CONFIG_BYTES + 1)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(
            "this is a directory, not a config file", path=path,
            hint=f"Point --config (or EMSTUI_CONFIG) at a file, such as {path / 'config.toml'}",
        ) from None
    except PermissionError:
        raise ConfigError(
            "cannot read the file: permission denied", path=path,
            hint=f"Check its owner and mode (ls -l {path}); emstui needs to read it",
        ) from None
    except NotADirectoryError:
        raise ConfigError("a part of this path is a file, not a directory", path=path) from None
    except OSError as error:
        raise ConfigError(f"cannot read the file: {error.strerror or error}", path=path) from None
    if len(data) > MAX_CONFIG_BYTES:
        raise _too_big(path, None)
    return data


def _too_big(path: Path, size: int | None) -> ConfigError:
    limit = f"{MAX_CONFIG_BYTES / 1_048_576:g} MB"
    found = f"{size / 1_048_576:.1f} MB" if size is not None else f"more than {limit}"
    return ConfigError(
        f"the file is {found}; emstui reads config files up to {limit} (about 10,000 parcels)",
        path=path,
        hint="Remove parcels you no longer need from it, or if it was not meant to be this "
        f"large, restore {backup_path(path).name}",
    )


def _decode_utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # tolerate the BOM some Windows editors add
    except UnicodeDecodeError as error:
        line_start = data.rfind(b"\n", 0, error.start) + 1
        line = data.count(b"\n", 0, error.start) + 1
        column = len(data[line_start:error.start].decode("utf-8", errors="replace")) + 1
        raise ConfigError(
            f"not valid UTF-8 (byte 0x{data[error.start]:02x})",
            path=path, line=line, column=column,
            hint="Save the file as UTF-8 (for example: iconv -f LATIN1 -t UTF-8)",
        ) from None


_TOML_POSITION_RE = re.compile(r"\s*\(at line (\d+), column (\d+)\)|\s*\(at end of document\)")


def _syntax_error(path: Path, error: tomllib.TOMLDecodeError) -> ConfigError:
    message = str(error)
    match = _TOML_POSITION_RE.search(message)
    line = column = None
    if match and match.group(1):
        line, column = int(match.group(1)), int(match.group(2))
    if match:
        message = message[: match.start()] + message[match.end():]
    where = "" if line is not None else " (at the end of the file)"
    return ConfigError(
        f"invalid TOML: {message}{where}", path=path, line=line, column=column,
        hint='Fix the syntax there. Common causes: text without quotes (label = "Tea"), '
        "a missing closing quote or bracket, or the same key or [table] twice",
    )


def _fingerprint(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Loader:
    """Turns a parsed document into a Config, collecting every error and warning."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text
        self.errors: list[ConfigError] = []
        self.warnings: list[str] = []
        self._lines: dict[str, int] | None = None

    def build(self, doc: dict[str, Any]) -> Config:
        config = Config(path=self.path, source=doc)
        for name, value in doc.items():
            if name == "refresh":
                config.refresh = self._section(RefreshSettings, _REFRESH_KEYS, value, name)
            elif name == "display":
                config.display = self._section(DisplaySettings, _DISPLAY_KEYS, value, name)
            elif name == "providers":
                self._providers(config, value)
            elif name == "keys":
                config.keys = self._keys(value)
            elif name == "parcels":
                config.parcels = self._parcels(value)
            elif name == "notify":
                config.extra[name] = value  # kept as written; emstui.notify reads it
                self._notify(value)
            else:
                config.extra[name] = value
                self._unknown(name, name, SECTIONS)
        self._check_env_keys(config)
        self._check_key_file_mode(config)
        config.warnings = self.warnings
        if len(self.errors) == 1:
            raise self.errors[0]
        if self.errors:
            raise InvalidConfig(self.path, self.errors)
        return config

    # -- sections

    def _notify(self, value: Any) -> None:
        errors, unknown = notify_problems(value)
        for problem in errors:
            key = f"notify.{problem.key}" if problem.key else "notify"
            self.error(key, _Bad(problem.problem, problem.hint))
        for name in unknown:
            self._unknown(f"notify.{name}", name, KNOWN_NOTIFY_KEYS)

    def _table(
        self, value: Any, key: str, what: str, hint: str | None = None
    ) -> dict[str, Any] | None:
        if isinstance(value, dict):
            return value
        self.error(key, _Bad(f"expected {what}, got {_got(value)}", hint))
        return None

    def _read(
        self, table: dict[str, Any], spec: dict[str, _Key], prefix: str
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        values: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for name, raw in table.items():
            key = f"{prefix}.{name}"
            if name not in spec:
                extra[name] = raw
                continue
            try:
                values[name] = spec[name].decode(raw, key)
            except _Bad as bad:
                self.error(key, bad)
        return values, extra

    def _section(self, cls: type, spec: dict[str, _Key], value: Any, name: str) -> Any:
        table = self._table(value, name, f"a table: a [{name}] section")
        if table is None:
            return cls()
        values, extra = self._read(table, spec, name)
        for key in extra:
            self._unknown(f"{name}.{key}", key, spec)
        return cls(**values, extra=extra, source=table)

    def _providers(self, config: Config, value: Any) -> None:
        table = self._table(value, "providers", "a table: a [providers] section")
        if table is None:
            return
        for name, raw in table.items():
            key = f"providers.{name}"
            if name == "order":
                try:
                    config.provider_order = _ORDER_KEY.decode(raw, key)
                except _Bad as bad:
                    self.error(key, bad)
            elif name in PROVIDER_IDS:
                section = self._table(raw, key, f"a table: a [{key}] section")
                if section is not None:
                    config.providers[name] = self._provider(name, section)
            else:
                config.providers_extra[name] = raw
                self._unknown(key, name, ("order", *PROVIDER_IDS))

    def _provider(self, pid: str, table: dict[str, Any]) -> ProviderSettings:
        spec = _PROVIDER_KEYS[pid]
        values, extra = self._read(table, spec, f"providers.{pid}")
        for key in extra:
            self._unknown(f"providers.{pid}.{key}", key, spec)
        return _read_env_key(ProviderSettings(id=pid, **values, extra=extra, source=table))

    def _check_env_keys(self, config: Config) -> None:
        """A key from the environment that no HTTP header can carry is a config error here,
        naming the variable, not a "network error" (or an 'ascii' codec crash) later."""
        for pid, settings in config.providers.items():
            key = settings.env_key.reveal() if settings.env_key else ""
            problem = key_problem(key) if key else None
            if problem:
                self.error(f"providers.{pid}.api_key_env", _Bad(
                    f"the environment variable {key_env_name(settings)}: {problem}", _KEY_HINT))
                settings.env_key = None

    def _keys(self, value: Any) -> dict[str, str]:
        table = self._table(value, "keys", "a table: a [keys] section of binding = \"key\"")
        if table is None:
            return {}
        keys: dict[str, str] = {}
        for binding, key in table.items():
            if isinstance(key, str):
                keys[binding] = key
            else:
                self.error(f"keys.{binding}",
                           _Bad(f'expected a key name such as "ctrl+r", got {_got(key)}'))
        return keys

    def _parcels(self, value: Any) -> list[Parcel]:
        how = 'Write each parcel as a [[parcels]] block with number = "..." ' \
              "(see config.example.toml)"
        if not isinstance(value, list):
            self.error("parcels", _Bad(f"expected [[parcels]] entries, got {_got(value)}", how))
            return []
        parcels: list[Parcel] = []
        seen: dict[str, tuple[int, str]] = {}
        unknown: Counter[str] = Counter()
        first_unknown: dict[str, int] = {}
        for index, entry in enumerate(value):
            prefix = f"parcels[{index}]"
            table = self._table(entry, prefix, "a table: a [[parcels]] entry", how)
            if table is None:
                continue
            values, extra = self._read(table, _PARCEL_KEYS, prefix)
            for key in extra:
                unknown[key] += 1
                first_unknown.setdefault(key, index)
            if "number" not in table:
                self.error(prefix, _Bad("this entry has no number",
                                        'Add number = "..." or remove the entry'))
            if "number" not in values:
                continue
            parcel = Parcel(**values, extra=extra, source=table)
            if parcel.number in seen:
                self._duplicate(parcel, index, *seen[parcel.number])
                continue
            seen[parcel.number] = (index, parcel.label)
            self._parcel_warnings(parcel, prefix)
            parcels.append(parcel)
        for key, count in unknown.items():
            also = f" (and in {count - 1} more entries)" if count > 1 else ""
            self._unknown(f"parcels[{first_unknown[key]}].{key}", key, _PARCEL_KEYS, also)
        return parcels

    def _duplicate(self, parcel: Parcel, index: int, first: int, first_label: str) -> None:
        def named(i: int, label: str) -> str:
            line = self.line_of(f"parcels[{i}]")
            details = [f'"{clean_line(label, limit=60)}"' if label else "no label"]
            if line is not None:
                details.append(f"line {line}")
            return f"parcels[{i}] ({', '.join(details)})"

        self.error(
            f"parcels[{index}].number",
            _Bad(f"{parcel.number} is listed twice: {named(first, first_label)} and "
                 f"{named(index, parcel.label)}",
                 "Remove one of the two entries (copy its label and note to the other first "
                 "if they matter)"),
        )

    def _parcel_warnings(self, parcel: Parcel, prefix: str) -> None:
        number = _parse_number(parcel.number)
        for warning in number.warnings:
            self.warn(f"{prefix}.number", f"{parcel.number}: {warning}")
        if parcel.provider == "ems" and not number.is_ems:
            self.warn(f"{prefix}.provider",
                      f'"ems" tracks only EMS items (S10 numbers starting with E) and '
                      f"{parcel.number} is not one, so it will never update. Remove the "
                      f'provider line, or use provider = "17track"')

    def _check_key_file_mode(self, config: Config) -> None:
        holds_key = any(p.api_key is not None for p in config.providers.values())
        if not holds_key or os.name != "posix":
            return
        try:
            mode = stat.S_IMODE(os.stat(self.path).st_mode)
        except OSError:
            return
        if mode & 0o077:
            self.warn("providers.17track.api_key",
                      f"the file holds an API key but other users can read it (mode "
                      f"{mode:04o}). Run: chmod 600 {self.path}")

    # -- reporting

    def error(self, key: str, bad: _Bad) -> None:
        key = key + bad.at
        self.errors.append(ConfigError(bad.problem, path=self.path, key=key,
                                       line=self.line_of(key), hint=bad.hint))

    def warn(self, key: str, message: str) -> None:
        line = self.line_of(key)
        where = f"{self.path}:{line}" if line is not None else str(self.path)
        self.warnings.append(f"{where}: {key}: {message}")

    def _unknown(self, key: str, name: str, known: Iterable[str], also: str = "") -> None:
        close = difflib.get_close_matches(name, list(known), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        self.warn(key, f"unknown key{also}{hint}; kept as is")

    def line_of(self, key: str) -> int | None:
        """Best-effort line of a key path; the nearest enclosing table's when not found."""
        if self._lines is None:
            self._lines = _key_lines(self.text)
        while key:
            if key in self._lines:
                return self._lines[key]
            shorter = re.sub(r"(\.[^.\[\]]+|\[\d+\])$", "", key)
            if shorter == key:
                break
            key = shorter
        return None


_KEY_PART = r"""(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')"""
_DOTTED = rf"{_KEY_PART}(?:\s*\.\s*{_KEY_PART})*"
_AOT_RE = re.compile(rf"\s*\[\[\s*({_DOTTED})\s*\]\]\s*(?:#.*)?$")
_TABLE_RE = re.compile(rf"\s*\[\s*({_DOTTED})\s*\]\s*(?:#.*)?$")
_ASSIGN_RE = re.compile(rf"\s*({_DOTTED})\s*=")


def _key_lines(text: str) -> dict[str, int]:
    """Map key paths (``parcels[2].number``) to their first line, for error messages."""
    def dotted(raw: str) -> str:
        return ".".join(p.strip("\"'") for p in re.findall(_KEY_PART, raw))

    lines: dict[str, int] = {}
    counts: Counter[str] = Counter()
    prefix = ""
    in_multiline = False
    for number, line in enumerate(text.splitlines(), start=1):
        if in_multiline:
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 0
            continue
        if match := _AOT_RE.match(line):
            name = dotted(match.group(1))
            prefix = f"{name}[{counts[name]}]"
            counts[name] += 1
            lines.setdefault(name, number)
        elif match := _TABLE_RE.match(line):
            prefix = dotted(match.group(1))
        elif match := _ASSIGN_RE.match(line):
            name = dotted(match.group(1))
            lines.setdefault(f"{prefix}.{name}" if prefix else name, number)
            in_multiline = (line.count('"""') + line.count("'''")) % 2 == 1
            continue
        else:
            continue
        lines.setdefault(prefix, number)
    return lines


def key_line(config: Config, key: str) -> int | None:
    """The line of a key path (``parcels[2].number``) in the file ``config`` was read from."""
    try:
        text = config.path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError):
        return None
    return _Loader(config.path, text).line_of(key)


