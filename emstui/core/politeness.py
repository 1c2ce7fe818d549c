"""What emstui promises the sources it asks: https only (loopback excepted), a one-line
printable User-Agent, and no parcel polled more often than every 15 minutes.

The config reader checks these early (so a bad setting names its key at load) and the HTTP
clients and the scheduler hold to them; both import the one rule from here.
"""

from __future__ import annotations

import ipaddress
import re

MIN_INTERVAL = 15 * 60  # never poll one parcel more often than this automatically

_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}
_SAFE_USER_AGENT = re.compile(r"[\x20-\x7e]{1,400}")


def is_loopback_host(host: str) -> bool:
    """True for localhost, 127.0.0.0/8 and ::1 (the only hosts plain http may reach)."""
    host = host.strip("[]").rstrip(".").lower()
    if host in _LOOPBACK_NAMES or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_base_url(url: str, *, setting: str) -> str:
    """Return `url` if https (or http to a loopback host); else ValueError naming `setting`."""
    import httpx  # here: loading a config must not import the HTTP stack (bench/cli_start.py)

    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError) as exc:
        raise ValueError(f"{setting} is not a valid URL: {exc}") from None
    shown = f"{parsed.scheme}://{parsed.host}" if parsed.host else repr(url)
    if not parsed.host:
        raise ValueError(f"{setting} has no host name: {shown}")
    if parsed.scheme == "https":
        return url
    if parsed.scheme == "http" and is_loopback_host(parsed.host):
        return url
    if parsed.scheme == "http":
        raise ValueError(
            f"{setting} must use https:// (plain http is allowed only for loopback addresses "
            f"such as 127.0.0.1, ::1 or localhost): got {shown}")
    raise ValueError(f"{setting} must be an https:// URL: got {shown}")


def check_user_agent(user_agent: str, *, setting: str) -> str:
    """A User-Agent must be one line of printable ASCII (else httpx would reject it later)."""
    if not _SAFE_USER_AGENT.fullmatch(user_agent):
        raise ValueError(f"{setting} must be one line of printable ASCII (1 to 400 characters)")
    return user_agent
