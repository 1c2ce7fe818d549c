"""The services' lifecycle: one owner of config, store, providers and engine, and their closing."""

from __future__ import annotations

import asyncio
from pathlib import Path

from emstui.config import load_config
from emstui.services import build_services

EMS_ONLY = '[providers]\norder = ["ems"]\n'
TEA = "EE123456785CN"
NOT_EMS = "RR123456785CN"


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_apply_config_gives_the_engine_the_new_watch_list_and_keeps_the_config(
        tmp_path: Path) -> None:
    first = load_config(_config(tmp_path, EMS_ONLY + f'[[parcels]]\nnumber = "{TEA}"\n'))
    services = build_services(config=first, store_path=Path(":memory:"))
    try:
        assert services.engine.untrackable() == {}
        edited = load_config(_config(tmp_path, EMS_ONLY + f'[[parcels]]\nnumber = "{TEA}"\n'
                                     f'[[parcels]]\nnumber = "{NOT_EMS}"\nlabel = "Shoes"\n'))
        services.apply_config(edited)
        assert services.config is edited
        assert list(services.engine.untrackable()) == [NOT_EMS]  # the engine watches it now
    finally:
        asyncio.run(services.aclose())


def test_aclose_closes_the_http_clients_and_the_store_once(tmp_path: Path) -> None:
    config = load_config(_config(tmp_path, EMS_ONLY))
    services = build_services(config=config, store_path=tmp_path / "history.sqlite3")
    # Clients are made on first use (providers/http.LazyClient): use them, as a pass would.
    clients = [p._http.get() for p in services.providers.values()]  # type: ignore[attr-defined]
    asyncio.run(services.aclose())
    asyncio.run(services.aclose())  # a second call is harmless
    assert clients and all(client.is_closed for client in clients)
    assert services.closed
