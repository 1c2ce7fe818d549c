"""Replace a file atomically and durably, keeping the previous version as a ``.bak``."""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows has no flock; writes are still atomic there
    fcntl = None  # type: ignore[assignment]

DEFAULT_MODE = 0o644
DIR_MODE = 0o700


def backup_path(path: Path) -> Path:
    """Where the previous version of ``path`` is kept: ``config.toml`` -> ``config.toml.bak``."""
    return path.with_name(path.name + ".bak")


def atomic_write_bytes(
    path: Path, data: bytes, *, mode: int | None = None, backup: bool = True
) -> None:
    """Write ``data`` to ``path`` so that readers see the old file or the new one, never half.

    A temporary file in the same directory is written, flushed and fsynced, then renamed over
    ``path`` with ``os.replace``, and the directory is fsynced so the rename survives a crash.
    ``mode`` defaults to the existing file's mode, or 0644 for a new file. With ``backup`` the
    file being replaced is first copied to ``path.bak`` (never with a looser mode than either
    version). The parent directory is created (0700) when missing. On any failure the original
    file is untouched, no temporary file is left behind and the OSError propagates.
    """
    path = Path(path)
    parent = path.parent
    parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    old = _existing_regular_file(path)
    target_mode = mode if mode is not None else (
        stat.S_IMODE(old.st_mode) if old is not None else DEFAULT_MODE
    )
    fd, tmp_name = tempfile.mkstemp(dir=parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            os.chmod(tmp_name, target_mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if backup and old is not None:
            previous = path.read_bytes()
            bak_mode = stat.S_IMODE(old.st_mode) & target_mode
            atomic_write_bytes(backup_path(path), previous, mode=bak_mode, backup=False)
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    fsync_dir(parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename in ``directory`` durable (best effort where directories cannot be synced)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        # Some filesystems (and Windows) refuse fsync on a directory; the rename already
        # happened, so this only weakens durability after a power cut.
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def locked_dir(directory: Path) -> Iterator[None]:
    """Hold an exclusive advisory lock on ``directory`` so emstui processes take turns there."""
    if fcntl is None:
        yield
        return
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        yield  # cannot open it for locking: the write itself will report the real problem
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def _existing_regular_file(path: Path) -> os.stat_result | None:
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    if stat.S_ISDIR(st.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), str(path))
    if not stat.S_ISREG(st.st_mode):
        # Renaming over a device or FIFO (say /dev/null) would replace the node itself.
        raise OSError(errno.EINVAL, "not a regular file, so it is not replaced", str(path))
    return st
