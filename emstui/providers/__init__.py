"""Tracking sources and the factory that builds them from plain settings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from emstui.core.sources import PROVIDER_IDS, PROVIDER_NAMES

if TYPE_CHECKING:  # importing the package (e.g. for PROVIDER_IDS) must not pull in httpx
    import httpx

    from emstui.core.clock import Clock
    from emstui.providers.base import Provider, Registrations

__all__ = ["DEFAULT_TIMEOUT", "PROVIDER_IDS", "PROVIDER_NAMES", "make_provider"]

DEFAULT_TIMEOUT = 20.0  # seconds for one whole request; config's `refresh.timeout`



def make_provider(provider_id: str, *, clock: Clock, registrations: Registrations,
                  api_key: str | None = None, base_url: str | None = None,
                  timeout: float = DEFAULT_TIMEOUT, concurrency: int = 4,
                  user_agent: str | None = None,
                  transport: httpx.AsyncBaseTransport | None = None) -> Provider | None:
    """Build one provider. Returns None for 17TRACK without a key (the caller reports it).

    Raises ValueError for an unknown id or an unsafe setting (plain http to a remote host, a
    malformed User-Agent); the message names the setting to fix.
    """
    if provider_id == "ems":
        from emstui.providers.ems import EmsProvider

        return EmsProvider(clock=clock, base_url=base_url, timeout=timeout,
                           user_agent=user_agent, transport=transport)
    if provider_id == "17track":
        if not api_key or not api_key.strip():
            return None
        from emstui.providers.seventeentrack import SeventeenTrackProvider

        return SeventeenTrackProvider(api_key=api_key, registrations=registrations, clock=clock,
                                      base_url=base_url, timeout=timeout,
                                      concurrency=concurrency, user_agent=user_agent,
                                      transport=transport)
    known = ", ".join(PROVIDER_IDS)
    raise ValueError(f"unknown provider {provider_id!r} (known: {known})")
