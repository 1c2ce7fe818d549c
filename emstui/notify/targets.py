"""Where a notification goes: a command, the terminal (OSC 9 / OSC 777), or Apprise URLs.

Each target's `send` raises `DeliveryError` (one line, safe to show) when the notification did
not get through; nothing else escapes. Payloads arrive already sanitised (`message.py`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Protocol

from emstui.core.sanitize import clean_line, excerpt

MAX_STDERR_SHOWN = 200
ENV_PREFIX = "EMSTUI_"
# The environment of the command: the parent's, minus these (credentials have no business in
# a notification program, which may well log its environment).
ALWAYS_HIDDEN_ENV = ("EMSTUI_17TRACK_KEY",)


class DeliveryError(Exception):
    """A notification did not get through; str() is one line naming why."""


class TargetUnavailable(Exception):
    """The target cannot work in this installation (str() says what to install)."""


class Target(Protocol):
    name: str

    async def send(self, payload: Mapping[str, Any]) -> None: ...


def environment(payload: Mapping[str, Any], *, hidden: Iterable[str] = (),
                base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The command's environment: the parent's (credentials removed) plus EMSTUI_* values."""
    env = dict(os.environ if base is None else base)
    for name in (*ALWAYS_HIDDEN_ENV, *hidden):
        env.pop(name, None)
    event = payload.get("event") or {}
    values = {
        "NUMBER": payload.get("number"),
        "LABEL": payload.get("label"),
        "CHANGE": payload.get("change"),
        "STATUS": payload.get("status"),
        "OLD_STATUS": payload.get("old_status"),
        "STAGE": payload.get("stage"),
        "EVENT": event.get("description"),
        "LOCATION": event.get("location"),
        "TIME": event.get("time"),
        "TITLE": payload.get("title"),
        "MESSAGE": payload.get("message"),
        "ADVICE": payload.get("advice"),  # what to do: with stalled parcels
    }
    # Sanitised again here: a payload may have been queued by another (older) process.
    env.update({ENV_PREFIX + key: clean_line(value, limit=500) for key, value in values.items()})
    return env


class CommandTarget:
    """Runs the user's command with the change in EMSTUI_* variables and as JSON on stdin.

    A string runs through /bin/sh (so "$EMSTUI_LABEL" expands: quote it), a list runs as is.
    The command gets its own process group so a timeout stops everything it started.
    """

    name = "command"

    def __init__(self, command: str | tuple[str, ...], *, timeout: float,
                 hidden_env: Iterable[str] = ()) -> None:
        self.argv = ["/bin/sh", "-c", command] if isinstance(command, str) else list(command)
        self.shown = '"' + clean_line(command if isinstance(command, str) else command[0],
                                      limit=60) + '"'
        self.timeout = timeout
        self.hidden_env = tuple(hidden_env)

    async def send(self, payload: Mapping[str, Any]) -> None:
        data = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        try:
            proc = await asyncio.create_subprocess_exec(
                *self.argv, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL,
                stderr=asyncio.subprocess.PIPE, start_new_session=True,
                env=environment(payload, hidden=self.hidden_env))
        except FileNotFoundError:
            raise DeliveryError(f"command not found: {self.shown}") from None
        except PermissionError:
            raise DeliveryError(f"command not executable: {self.shown}") from None
        except OSError as exc:
            raise DeliveryError(f"command {self.shown} could not start: "
                                f"{exc.strerror or exc}") from None
        try:
            _, stderr = await asyncio.wait_for(proc.communicate(data), self.timeout)
        except TimeoutError:
            _kill_group(proc)
            await proc.wait()
            raise DeliveryError(f"command {self.shown} did not finish within "
                                f"{self.timeout:g} s and was stopped") from None
        except BaseException:  # cancelled (the monitor quits): leave nothing running
            _kill_group(proc)
            raise
        if proc.returncode == 127 and self.argv[0] == "/bin/sh":
            raise DeliveryError(f"command not found: {self.shown} "
                                f"({excerpt(stderr, MAX_STDERR_SHOWN)})")
        if proc.returncode != 0:
            said = excerpt(stderr, MAX_STDERR_SHOWN)
            raise DeliveryError(f"command {self.shown} exited with status {proc.returncode}"
                                + (f": {said}" if said else ""))


def _kill_group(proc: asyncio.subprocess.Process) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


def terminal_sequence(title: str, body: str, *, style: str, tmux: bool) -> str:
    """An OSC 9 or OSC 777 desktop notification, wrapped for tmux's passthrough when inside
    tmux (which needs `set -g allow-passthrough on`, tmux >= 3.3)."""
    title = clean_line(title, limit=80).replace(";", ",")
    body = clean_line(body, limit=300)
    if style == "osc777":
        sequence = f"\x1b]777;notify;{title};{body}\x1b\\"
    else:
        sequence = f"\x1b]9;{body}\x1b\\"  # OSC 9 has no title: the terminal names itself
    if tmux:
        sequence = "\x1bPtmux;" + sequence.replace("\x1b", "\x1b\x1b") + "\x1b\\"
    return sequence


class TerminalTarget:
    """A desktop notification through the terminal the monitor runs in (over SSH too)."""

    name = "terminal"

    def __init__(self, write: Callable[[str], None], *, style: str,
                 tmux: bool | None = None) -> None:
        self.write = write
        self.style = style
        self.tmux = bool(os.environ.get("TMUX")) if tmux is None else tmux

    async def send(self, payload: Mapping[str, Any]) -> None:
        sequence = terminal_sequence(str(payload.get("title") or "emstui"),
                                     str(payload.get("message") or ""), style=self.style,
                                     tmux=self.tmux)
        try:
            self.write(sequence)
        except Exception as exc:  # the terminal went away
            raise DeliveryError(f"could not write to the terminal: {exc}") from None


class AppriseTarget:
    """Apprise URLs (ntfy, Telegram, e-mail, Matrix, ...), with the optional extra installed.

    The URLs hold tokens and passwords: messages name only their scheme.
    """

    name = "urls"

    def __init__(self, urls: tuple[str, ...], *, timeout: float) -> None:
        try:
            import apprise  # type: ignore[import-not-found]
        except ImportError:
            raise TargetUnavailable(
                "[notify] urls needs Apprise, which is not installed: "
                "pip install 'emstui[notify]' (or pip install apprise)") from None
        # Apprise logs the URLs it posts to, tokens included: keep its log out of ours.
        apprise_log = logging.getLogger("apprise")
        apprise_log.propagate = False
        if not apprise_log.handlers:
            apprise_log.addHandler(logging.NullHandler())
        self.timeout = timeout
        self._apprise = apprise.Apprise()
        bad = [_scheme(url) for url in urls if not self._apprise.add(url)]
        if bad:
            raise TargetUnavailable(
                f"[notify] urls: Apprise does not accept the {', '.join(bad)} URL"
                f"{'s' if len(bad) > 1 else ''}; check them with `apprise -vv URL`")

    async def send(self, payload: Mapping[str, Any]) -> None:
        title = str(payload.get("title") or "emstui")
        body = str(payload.get("message") or "")
        try:
            ok = await asyncio.wait_for(asyncio.to_thread(self._apprise.notify, body=body,
                                                          title=title), self.timeout)
        except TimeoutError:
            raise DeliveryError(f"Apprise did not finish within {self.timeout:g} s") from None
        except Exception as exc:
            raise DeliveryError(f"Apprise failed: {clean_line(exc, limit=200)}") from None
        if not ok:
            raise DeliveryError("Apprise could not deliver to at least one URL; "
                                "`apprise -vv -b test URL` shows why")


def _scheme(url: str) -> str:
    return clean_line(url.split("://", 1)[0], limit=20) + "://"
