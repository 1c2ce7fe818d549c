"""Which sources may track a parcel, in the order they are tried, and when one is ready."""

from __future__ import annotations

from datetime import datetime

from emstui.engine.core import EngineCore


class SourceChoice(EngineCore):
    """Candidate sources per parcel (remembered), and why a parcel has none."""

    def candidates(self, number: str) -> list[str]:
        """Providers that may track `number`, most preferred first (remembered until the
        watchlist changes or a provider refuses the number: the engine asks for every parcel
        on every wake)."""
        known = self._candidates.get(number)
        if known is None:
            known = self._candidates[number] = self._find_candidates(number)
        return known

    def _find_candidates(self, number: str) -> list[str]:
        item = self._watch.get(number)
        refused = self._unsupported.get(number, set())
        if item is not None and item.provider:
            ids = [item.provider]
        else:
            ids = [p for p in self.settings.order if p in self._slots]  # order is the set used
        return [pid for pid in ids
                if pid in self._slots and pid not in refused
                and self._slots[pid].provider.supports(number)]

    def untrackable(self) -> dict[str, str]:
        """Active parcels no source in use can track, with why and what to do."""
        return {number: self.no_source_reason(number) for number, item in self._watch.items()
                if not item.archived and not self.candidates(number)}

    def no_source_reason(self, number: str) -> str:
        item = self._watch.get(number)
        if item is not None and item.provider and item.provider not in self._slots:
            return (f"provider '{item.provider}' is set for this parcel but not in use: "
                    f"{self.settings.no_source_hint}")
        if self._unsupported.get(number):
            names = ", ".join(sorted(self._unsupported[number]))
            return f"not trackable by the sources in use ({names} refused it)"
        return self.settings.no_source_hint

    def _provider_ready_at(self, number: str, now: datetime) -> datetime | None:
        """When some candidate provider accepts requests for `number` (None: none ever will)."""
        times = []
        for pid in self.candidates(number):
            slot = self._slots[pid]
            if slot.paused is not None:
                continue
            times.append(slot.backoff.until if slot.backoff.blocked(now) else now)
        return min(times) if times else None
