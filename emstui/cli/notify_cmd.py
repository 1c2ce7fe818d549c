"""`emstui notify test`: send a sample notification to every configured target, now."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from emstui.cli.exitcodes import ExitCode
from emstui.config import ConfigError, key_env_name, load_config
from emstui.config.notify import parse_notify
from emstui.core.clock import SystemClock
from emstui.notify.notifier import Notifier
from emstui.store import Store

EXAMPLE = '[notify]\non = ["delivered"]\ncommand = "notify-send emstui \\"$EMSTUI_MESSAGE\\""'


def cmd_notify_test(config_file: Path, out: TextIO, err: TextIO) -> int:
    """0 when every target took the sample, 1 when one failed (each target says why)."""
    config = load_config(config_file)
    settings = parse_notify(config.extra.get("notify"))
    if settings is None or not settings.targets:
        raise ConfigError("no notification target is configured ([notify] command, terminal "
                          "or urls)", path=config_file,
                          hint=f"For example:\n{EXAMPLE}")
    hidden = tuple(name for p in config.providers.values()
                   if (name := key_env_name(p)) is not None)
    code = ExitCode.OK
    with Store.open_memory() as store:
        notifier = Notifier(settings, store, SystemClock(), hidden_env=hidden)
        for note in notifier.notes:
            err.write(f"emstui: {note}\n")
            code = ExitCode.PROVIDER
        if settings.terminal is not None:
            if getattr(err, "isatty", lambda: False)():
                notifier.attach_terminal(lambda sequence: (err.write(sequence), err.flush()))
            else:
                out.write("terminal: not tested (stderr is not a terminal; the monitor sends "
                          "these while it is open)\n")
        for target, error in asyncio.run(notifier.send_test()):
            if error is None:
                out.write(f"{target}: sent\n")
            else:
                out.write(f"{target}: FAILED: {error}\n")
                code = ExitCode.PROVIDER
    return code
