"""Writing the config back: only what the file held plus the changes, atomically, with a backup and
a check that nobody changed the file since it was read; starter and example files."""

from __future__ import annotations

import errno
import importlib.resources
import math
import os
import stat
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import tomli_w

from emstui.config import paths
from emstui.config.atomic import atomic_write_bytes, backup_path, locked_dir
from emstui.config.errors import ConfigConflict, ConfigError, ConfigWriteError
from emstui.config.load import _fingerprint, _read_bytes, load_config
from emstui.config.model import _OMIT, KEEP, SECTIONS, Config, ProviderSettings, _Keep
from emstui.config.schema import (
    _DISPLAY_KEYS,
    _ORDER_KEY,
    _PARCEL_KEYS,
    _PROVIDER_KEYS,
    _REFRESH_KEYS,
    _Bad,
    _default,
    _Key,
)
from emstui.core.sources import DEFAULT_PROVIDER_ORDER, PROVIDER_IDS

_EXAMPLE_RESOURCE = "_data/config.example.toml"
_EXAMPLE_NAME = "config.example.toml"


HEADER_FIRST_LINE = "# emstui configuration. `emstui config example` prints every key, explained."


def _header(path: Path) -> str:
    return (
        f"{HEADER_FIRST_LINE}\n"
        "# emstui rewrites this file when you add, edit, archive or remove parcels or change\n"
        "# the theme from the app or the command line, and comments are NOT kept when it does:\n"
        "# put what you want to remember about a parcel in its `label` and `note`.\n"
        f"# The previous version is kept next to this file as {backup_path(path).name}; the\n"
        f"# file as you first wrote it, comments included, as {original_path(path).name}.\n\n"
    )


def original_path(path: Path) -> Path:
    """Where the hand-written file is kept the first time emstui rewrites it."""
    return path.with_name(path.name + ".orig")


def _keep_original(target: Path, current: bytes | None) -> None:
    """Copy a file emstui has never rewritten (no header yet) to ``.orig``, once."""
    if current is None or not current.strip():
        return
    if current.decode("utf-8", "replace").lstrip("\ufeff").startswith(HEADER_FIRST_LINE):
        return
    keep = original_path(target)
    if keep.exists() or keep.is_symlink():
        return
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except OSError:
        mode = 0o600
    atomic_write_bytes(keep, current, mode=mode, backup=False)


def dumps_config(config: Config) -> str:
    """The file text save_config writes: a header, then the settings and parcels as TOML."""
    document = _document(config)
    parcels = document.pop("parcels", None)
    body = tomli_w.dumps(document, multiline_strings=True)
    if parcels:
        # tomli_w writes short entries as an inline array; a padding entry too long to inline
        # makes it use [[parcels]] blocks, and is cut off again below.
        pad = {"_": "x" * 200}
        rendered = tomli_w.dumps({"parcels": [*parcels, pad]}, multiline_strings=True)
        rendered = rendered[: rendered.rindex("\n[[parcels]]\n")].rstrip("\n") + "\n"
        body = f"{body}\n{rendered}" if body else rendered
        document["parcels"] = parcels
    text = _header(config.path) + body
    if not _same(tomllib.loads(text), document):  # never write what would not read back
        raise ConfigError("internal error: the rendered config does not read back the same; "
                          "nothing was written", path=config.path)
    return text


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return type(a) is type(b) and a == b


def _document(config: Config) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    source = config.source
    sections: dict[str, Callable[[], Any]] = {
        "refresh": lambda: _dump(config.refresh, _REFRESH_KEYS),
        "display": lambda: _dump(config.display, _DISPLAY_KEYS),
        "providers": lambda: _dump_providers(config),
        "keys": lambda: dict(config.keys),
        "parcels": lambda: [_dump(p, _PARCEL_KEYS) for p in config.parcels],
    }
    for name in dict.fromkeys([*source, *SECTIONS, *config.extra]):
        if name == "parcels":
            continue  # always last, so the [[parcels]] blocks end the file
        if name in sections:
            value = sections[name]()
            if value or name in source:
                doc[name] = value
        elif name in config.extra:
            doc[name] = config.extra[name]
    if config.parcels:
        doc["parcels"] = sections["parcels"]()
    return doc


def _dump(obj: Any, spec: dict[str, _Key]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name in dict.fromkeys([*obj.source, *spec, *obj.extra]):
        if name in spec:
            _emit(out, name, getattr(obj, name), _default(type(obj), name), spec[name],
                  obj.source)
        elif name in obj.extra:
            out[name] = obj.extra[name]
    return out


def _emit(out: dict[str, Any], name: str, value: Any, default: Any, key: _Key,
          source: dict[str, Any]) -> None:
    if name in source:
        try:
            if key.decode(source[name], name) == value:
                out[name] = source[name]  # unchanged: keep the user's spelling ("90m", "ee 1..")
                return
        except _Bad:
            pass
    elif value == default:
        return
    encoded = key.encode(value)
    if encoded is not _OMIT:
        out[name] = encoded


def _dump_providers(config: Config) -> dict[str, Any]:
    source = config.source.get("providers")
    source = source if isinstance(source, dict) else {}
    out: dict[str, Any] = {}
    for name in dict.fromkeys([*source, "order", *PROVIDER_IDS, *config.providers_extra]):
        if name == "order":
            _emit(out, name, config.provider_order, list(DEFAULT_PROVIDER_ORDER), _ORDER_KEY,
                  source)
        elif name in PROVIDER_IDS:
            settings = config.providers.get(name, ProviderSettings(id=name))
            table = _dump(settings, _PROVIDER_KEYS[name])
            if table or name in source:
                out[name] = table
        elif name in config.providers_extra:
            out[name] = config.providers_extra[name]
    return out


def save_config(config: Config, *, expected: str | _Keep | None = KEEP) -> str:
    """Write ``config`` to ``config.path`` safely; return the new fingerprint.

    Refuses (ConfigConflict) when the file on disk no longer has the fingerprint ``expected``
    (default: the one it had when loaded). The file is replaced atomically, the previous
    version kept as ``.bak``, the mode set to 0600 when it holds an API key. A symlinked config
    is written through to its target. Failures raise ConfigError and leave the file unchanged.
    """
    if expected is KEEP:
        expected = config.fingerprint
    target = Path(os.path.realpath(config.path)) if config.path.is_symlink() else config.path
    data = dumps_config(config).encode("utf-8")
    holds_key = any(p.api_key is not None for p in config.providers.values())
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    except OSError as error:
        raise ConfigWriteError(
            f"cannot create the directory {target.parent}: {error.strerror or error}",
            path=config.path, hint=_where_instead(),
        ) from None
    with locked_dir(target.parent):
        current = _read_bytes(target)
        if (None if current is None else _fingerprint(current)) != expected:
            raise ConfigConflict(
                "the file changed on disk since emstui read it (saved from an editor or "
                "another emstui?); nothing was written",
                path=config.path, hint="Reload it and make the change again",
            )
        if current != data:
            try:
                _keep_original(target, current)
                atomic_write_bytes(target, data, mode=0o600 if holds_key else None)
            except OSError as error:
                raise _write_error(config.path, target, error) from None
    config.fingerprint = _fingerprint(data)
    config.exists = True
    return config.fingerprint


def _where_instead() -> str:
    return "Make it writable, or point --config (or EMSTUI_CONFIG) at a file somewhere writable"


def _write_error(path: Path, target: Path, error: OSError) -> ConfigError:
    cause = error.strerror or str(error)
    if error.errno == errno.ENOSPC:
        hint = "Free some disk space and try again"
    elif error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        hint = f"The directory {target.parent} is not writable. {_where_instead()}"
    else:
        hint = None
    return ConfigWriteError(f"could not save: {cause}; the file was left unchanged",
                            path=path, hint=hint)


def update_config(
    path: str | Path | None, edit: Callable[[Config], object], *, expected: str | None
) -> Config:
    """Load, apply ``edit``, save; return the saved config.

    ``expected`` is the fingerprint of the config the caller last read. The edit is always
    applied to what is on disk now, so changes saved meanwhile (by an editor or another emstui)
    are kept; ``changed_on_disk`` on the result tells the caller to refresh its view. If the
    file changes between this load and the save, it is reloaded and ``edit`` applied once
    more, so ``edit`` must work on any config (the edit functions below do).
    """
    config = load_config(path)
    changed = config.fingerprint != expected
    edit(config)
    try:
        save_config(config)
    except ConfigConflict:
        config = load_config(path)
        changed = True
        edit(config)
        save_config(config)
    config.changed_on_disk = changed
    return config


def init_config(path: str | Path | None = None) -> Path:
    """Write the starter config (watches nothing) to ``path``; never replaces anything."""
    target = paths.config_path(path)
    if target.is_dir():
        raise ConfigError(
            "this is a directory, not a config file; nothing was written", path=target,
            hint=f"Give a file name instead, such as {target / paths.CONFIG_FILENAME}")
    if target.exists() or target.is_symlink():
        raise ConfigError("the file already exists; it was not changed", path=target,
                          hint="Edit it, or move it aside first")
    try:
        atomic_write_bytes(target, starter_config_text().encode("utf-8"), backup=False)
    except OSError as error:
        raise _write_error(target, target, error) from None
    return target


STARTER_HEADER = """\
# emstui starter configuration: it watches nothing yet.
#
# Start watching a parcel with `emstui add EE123456785CN --label "Tea"`, or press `a` in the
# monitor (`emstui`). Every setting below is commented out and shows its default: to change
# one, remove the leading "# " of its line and of its [section] line.
# `emstui config example` prints this reference again; `emstui config validate` checks the file.
# The first time emstui rewrites this file (add, edit, remove, theme) it keeps this version,
# comments included, as config.toml.orig.
#
"""


def starter_config_text() -> str:
    """The example config with every setting and parcel commented out, under a short header."""
    lines = []
    for line in example_config_text().splitlines():
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            lines.append(f"# {line}")
        else:
            lines.append(line)
    body = "\n".join(lines)
    # The example's own opening comment block describes the reference: keep from the first
    # section on, under the starter's header.
    start = body.find("# [")
    return STARTER_HEADER + "\n" + (body[start:] if start >= 0 else body) + "\n"


def example_config_text() -> str:
    """The commented reference config: bundled in the wheel, or at the source checkout's root."""
    try:
        resource = importlib.resources.files("emstui").joinpath(_EXAMPLE_RESOURCE)
        if resource.is_file():
            return resource.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, NotADirectoryError):
        pass
    checkout = Path(__file__).resolve().parents[2] / _EXAMPLE_NAME
    try:
        return checkout.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"{_EXAMPLE_NAME} is missing from this installation (looked for "
            f"emstui/{_EXAMPLE_RESOURCE} and {checkout})"
        ) from None


