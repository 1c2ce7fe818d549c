"""The monitor in a real pseudo-terminal: it draws, and leaves cleanly when the terminal goes.

Over SSH the terminal can vanish at any moment: SIGHUP, SIGTERM from a supervisor, or the pty
closing under it. Each must end the process promptly instead of leaving it spinning.
"""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pty")

STARTUP_TIMEOUT = 30.0
EXIT_TIMEOUT = 15.0


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"{needle!r} never appeared; got {seen[-400:]!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def _drain(fd: int) -> None:
    try:
        while select.select([fd], [], [], 0)[0]:
            if not os.read(fd, 65536):
                return
    except OSError:
        return


def _wait_exit(pid: int, fd: int, timeout: float) -> int | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        _drain(fd)  # a full pty buffer must not block the app's exit
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.05)
    return None


@pytest.fixture
def running_app(tmp_path: Path) -> Iterator[tuple[int, int]]:
    config = tmp_path / "config.toml"
    # No reachable source: the app must start and idle without any network.
    config.write_text('[providers.ems]\nbase_url = "http://127.0.0.1:9/track"\n'
                      '[[parcels]]\nnumber = "EE123456785CN"\nlabel = "Teapot"\n',
                      encoding="utf-8")
    env = dict(os.environ, TERM="xterm-256color", EMSTUI_DATA_DIR=str(tmp_path / "data"),
               COLUMNS="100", LINES="30")
    pid, fd = pty.fork()
    if pid == 0:  # the child: becomes the app
        os.execvpe(sys.executable, [sys.executable, "-m", "emstui", "--config", str(config)],
                   env)
    try:
        _read_until(fd, b"Teapot", STARTUP_TIMEOUT)
        yield pid, fd
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        with contextlib.suppress(OSError):
            os.close(fd)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP])
def test_signal_ends_the_monitor_cleanly(running_app: tuple[int, int], sig: int) -> None:
    pid, fd = running_app
    os.kill(pid, sig)
    assert _wait_exit(pid, fd, EXIT_TIMEOUT) == 0


def test_closed_terminal_ends_the_monitor(running_app: tuple[int, int]) -> None:
    pid, fd = running_app
    os.close(fd)  # the SSH connection drops: the pty's other end goes away
    deadline = time.monotonic() + EXIT_TIMEOUT
    code = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            code = os.waitstatus_to_exitcode(status)
            break
        time.sleep(0.05)
    assert code is not None, "the monitor kept running after its terminal went away"
