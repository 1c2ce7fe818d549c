"""The one factory that wires config, store, providers and the refresh engine together.

The CLI, `--once`, the TUI, the demo, the tests and the benchmarks all build their parts here,
so they all run the same wiring. Nothing here imports Textual.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from emstui.config import Config, ProviderSettings, key_env_name, load_config, paths
from emstui.config.notify import parse_notify
from emstui.core.clock import Clock, SystemClock
from emstui.engine.engine import EngineSettings, RefreshEngine, WatchItem
from emstui.engine.events import Change
from emstui.notify.notifier import Notifier
from emstui.providers import PROVIDER_NAMES, make_provider
from emstui.providers.base import Provider
from emstui.providers.ratelimit import RateLimiter
from emstui.store import Store
from emstui.store.shared_limits import SharedLimits, StoreSlots, process_owner, settings_token

if TYPE_CHECKING:
    import httpx

SEVENTEENTRACK_SIGNUP = "https://api.17track.net"


@dataclass
class Services:
    """Everything a front end needs, built from one config file."""

    config: Config
    store: Store
    providers: dict[str, Provider]
    engine: RefreshEngine
    clock: Clock
    notes: list[str] = field(default_factory=list)  # e.g. "17track: no API key, not used"
    recovery_note: str | None = None  # a damaged history was moved aside (also in notes)
    notifier: Notifier | None = None  # when [notify] names a target

    sources_released: bool = False
    closed: bool = False

    def apply_config(self, config: Config) -> None:
        """A new config is in force (an edit, or the file changed on disk): the engine watches
        its parcels with its settings from now on, and `config` is this one."""
        self.config = config
        self.engine.set_watchlist(watch_items(config), engine_settings(config))

    async def aclose(self) -> None:
        """The one ending of every front end (monitor, demo, `--once`, validate): stop the
        engine, send what notifications are due, close the HTTP clients, close the store.
        Safe to call twice. Call it in the event loop that used the providers."""
        if self.closed:
            return
        self.closed = True
        try:
            await self.release_sources()
        finally:
            self.store.close()

    async def release_sources(self) -> None:
        """The network half of `aclose`, for a caller that still reads the store afterwards
        (`--once` prints from it after its event loop has ended)."""
        if self.sources_released:
            return
        self.sources_released = True
        self.engine.stop()
        try:
            if self.notifier is not None:
                await self.notifier.drain()  # bounded by [notify] timeout per notification
        finally:
            for provider in self.providers.values():
                await provider.aclose()


def watch_items(config: Config) -> list[WatchItem]:
    return [WatchItem(p.number, p.interval, p.provider, p.archived) for p in config.parcels]


def engine_settings(config: Config) -> EngineSettings:
    refresh = config.refresh
    return EngineSettings(interval=refresh.interval,
                          delivered_interval=refresh.delivered_interval,
                          max_backoff=refresh.max_backoff,
                          order=tuple(config.provider_order),
                          concurrency=refresh.concurrency,
                          no_source_hint=no_source_hint(config),
                          zone=config.display.zone())


def providers_in_use(config: Config) -> list[str]:
    """`providers.order` (the set of sources used, in order), then any a parcel names itself."""
    pinned = [p.provider for p in config.parcels if p.provider and not p.archived]
    return list(dict.fromkeys([*config.provider_order, *pinned]))


def key_source(config: Config, provider_id: str = "17track") -> str:
    """Where the provider's key would come from, in words ("... is not set")."""
    settings = config.providers.get(provider_id) or ProviderSettings(id=provider_id)
    env = key_env_name(settings)
    if env:
        state = "is empty" if env in os.environ else "is not set"
        return f"the environment variable {env} {state}, no api_key in [providers.{provider_id}]"
    return f"no api_key or api_key_env in [providers.{provider_id}]"


def no_source_hint(config: Config) -> str:
    """Why a number only 17TRACK could track is not tracked with this config, and what to do."""
    if "17track" not in config.provider_order:
        return ('needs 17TRACK: the EMS tracker takes only EMS (E…) numbers and '
                'providers.order leaves 17TRACK out. Add "17track" to providers.order in '
                f"{config.path} and give it a key (free at {SEVENTEENTRACK_SIGNUP})")
    return (f"needs a 17TRACK key: the EMS tracker takes only EMS (E…) numbers and 17TRACK has "
            f"no key ({key_source(config)}). {key_fix(config)}")


def key_fix(config: Config) -> str:
    env = key_env_name(config.providers.get("17track") or ProviderSettings(id="17track"))
    return (f"Get a free key at {SEVENTEENTRACK_SIGNUP}, then set {env} where emstui runs "
            f"(cron too), or api_key in [providers.17track] of {config.path}")


def build_providers(config: Config, *, clock: Clock, store: Store,
                    transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
                    ) -> tuple[dict[str, Provider], list[str]]:
    """Every provider the config can use, and notes on those it cannot (no key, ...)."""
    providers: dict[str, Provider] = {}
    notes: list[str] = []
    for pid in providers_in_use(config):
        settings = config.providers.get(pid) or ProviderSettings(id=pid)
        key = settings.key
        provider = make_provider(pid, clock=clock, registrations=store,
                                 api_key=key.reveal() if key else None,
                                 base_url=settings.base_url,
                                 timeout=float(config.refresh.timeout),
                                 concurrency=config.refresh.concurrency,
                                 user_agent=settings.user_agent,
                                 transport=(transports or {}).get(pid))
        if provider is None:
            left = ("only EMS (E…) numbers can be tracked" if "ems" in providers_in_use(config)
                    else "no source is left to track anything")
            notes.append(f"{PROVIDER_NAMES.get(pid, pid)} is not used: no API key "
                         f"({key_source(config, pid)}); {left}")
            continue
        providers[pid] = provider
    return providers, notes


def share_limits(config: Config, store: Store,
                 providers: Mapping[str, Provider]) -> SharedLimits | None:
    """Make this process keep provider limits together with every other one on `store`.

    Each provider's request limiter takes its slots from the store's shared request log. A
    store in memory is private to this process: nothing to share.
    """
    if store.in_memory:
        return None
    owner = process_owner()
    timeout = float(config.refresh.timeout)
    tokens = {}
    for pid, settings in config.providers.items():
        key = settings.key
        tokens[pid] = settings_token(pid, settings.base_url, key.reveal() if key else None)
    for pid, provider in providers.items():
        limiter = getattr(provider, "limiter", None)
        if isinstance(limiter, RateLimiter):
            limiter.shared = StoreSlots(store, pid, owner=owner, timeout=timeout)
    return SharedLimits(store, owner=owner, tokens=tokens, timeout=timeout)


def build_services(config_file: str | Path | None = None, *, config: Config | None = None,
                   clock: Clock | None = None, store_path: Path | None = None,
                   transports: Mapping[str, httpx.AsyncBaseTransport] | None = None,
                   listener: Callable[[Change], None] | None = None,
                   audience: str = "monitor") -> Services:
    """Load the config (unless given), open the store, build providers and the engine.

    Raises ConfigError for a bad config and StoreError for an unusable history file. A
    damaged history moved aside is one of the notes, once per `audience` ("monitor", "once").
    """
    clock = clock or SystemClock()
    if config is None:
        config = load_config(paths.config_path(config_file))
    store = Store(store_path or paths.store_path(), clock=clock)
    providers, notes = build_providers(config, clock=clock, store=store, transports=transports)
    recovery = store.take_recovery_notice(audience)
    if recovery:
        notes.append(recovery)
    engine = RefreshEngine(store=store, providers=providers, clock=clock,
                           settings=engine_settings(config), watch=watch_items(config),
                           listener=listener, limits=share_limits(config, store, providers))
    services = Services(config, store, providers, engine, clock, notes, recovery)
    services.notifier = build_notifier(services)
    return services


def build_notifier(services: Services) -> Notifier | None:
    """The notifier for `[notify]` (validated when the config was loaded), observing the
    engine; None when no target is configured."""
    settings = parse_notify(services.config.extra.get("notify"))
    if settings is None or not settings.targets:
        return None
    hidden = tuple(name for p in services.config.providers.values()
                   if (name := key_env_name(p)) is not None)
    notifier = Notifier(settings, services.store, services.clock, hidden_env=hidden,
                        label_of=lambda number: _label(services.config, number))
    services.engine.subscribe(notifier.observe)
    services.notes.extend(notifier.notes)
    return notifier


def _label(config: Config, number: str) -> str:
    parcel = config.parcel(number)
    return parcel.label if parcel is not None else ""
