"""The 17TRACK quota in the main screen's header: the remembered answer, asked again when due."""

from __future__ import annotations

from emstui.present import quota
from emstui.tui.host import MonitorHost, ParcelsView

# How often the monitor looks at the 17TRACK quota; asked at most hourly (emstui.present.quota).
QUOTA_POLL_SECONDS = 300.0


class QuotaWatch:
    """Keeps the header's quota words current (owned by the main screen)."""

    def __init__(self, view: ParcelsView, host: MonitorHost) -> None:
        self.view = view
        self.host = host

    def show_remembered(self) -> None:
        """The remembered 17TRACK quota (whoever asked last: this app, cron, doctor)."""
        services = self.host.services
        source = quota.source_of(services.engine.providers)
        record = quota.load(services.store, source.account_id) if source is not None else None
        self.view.header.set_quota(quota.header_words(record))

    def check(self) -> None:
        """Ask 17TRACK in a worker when the remembered answer is due (`refresh_after_pass`)."""
        if quota.source_of(self.host.services.engine.providers) is not None:
            self.view.run_worker(self._refresh(), name="quota", group="quota",
                                 exit_on_error=False)

    async def _refresh(self) -> None:
        services = self.host.services
        engine = services.engine
        record = await quota.refresh_after_pass(services.store, engine.providers,
                                                engine.health(), services.clock.now())
        self.view.header.set_quota(quota.header_words(record))
