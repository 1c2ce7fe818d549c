"""Fault injection for the simulator: runtime switches, thread-safe, per protocol or global."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

PROTOCOLS: tuple[str, ...] = ("17track", "ems")


@dataclass(frozen=True, slots=True)
class Decision:
    """What to do to one request. `action` replaces the real answer; the rest shape delivery.

    Actions: "down" (drop the connection, no answer), "reset" (RST, no answer), "429",
    "status" (a plain error page with `status`), "html" (an HTML gateway page with `status`).
    """

    latency: float = 0.0
    action: str | None = None
    status: int | None = None
    retry_after: float | None = None
    retry_after_http_date: bool = False
    truncate: bool = False
    trickle: tuple[int, float] | None = None


@dataclass(slots=True)
class _Scope:
    latency: float = 0.0
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 503)
    down: bool = False
    reset: int = 0
    burst_429: int = 0
    retry_after: float | None = 1.0
    http_date: bool = False
    fail: int = 0
    fail_status: int = 503
    html: int = 0
    html_status: int = 502
    truncate: int = 0
    trickle: int = 0  # requests left; -1 means until cleared
    trickle_chunk: int = 16
    trickle_delay: float = 0.01


def _take(scopes: Iterable[_Scope], attr: str) -> _Scope | None:
    """Consume one from the first scope whose counter `attr` is set; -1 counts never run out."""
    for scope in scopes:
        left = getattr(scope, attr)
        if left:
            if left > 0:
                setattr(scope, attr, left - 1)
            return scope
    return None


class Faults:
    """Runtime fault switches. `protocol=None` means every protocol; "17track" / "ems" one.

    Counted faults ("the next N requests") are consumed in request order; a protocol's own
    setting is used before the global one. Random errors come from a seeded RNG.
    """

    def __init__(self, seed: int = 0) -> None:
        self._lock = threading.Lock()
        self._rng = random.Random(seed)
        self._scopes: dict[str | None, _Scope] = {None: _Scope()}
        self._scopes.update({p: _Scope() for p in PROTOCOLS})
        self._down_listeners: list[Callable[[bool], None]] = []

    def _scope(self, protocol: str | None) -> _Scope:
        if protocol is not None and protocol not in PROTOCOLS:
            raise ValueError(f"unknown protocol {protocol!r}; use None, '17track' or 'ems'")
        return self._scopes[protocol]

    def _set(self, protocol: str | None, **changes: object) -> None:
        with self._lock:
            scope = self._scope(protocol)
            for name, value in changes.items():
                setattr(scope, name, value)

    # -- switches ------------------------------------------------------------------------------

    def set_latency(self, seconds: float, *, protocol: str | None = None) -> None:
        """Delay every answer by `seconds` (real time)."""
        self._set(protocol, latency=max(0.0, seconds))

    def set_error_rate(self, rate: float, *, statuses: tuple[int, ...] = (500, 503),
                       protocol: str | None = None) -> None:
        """Answer a random `rate` share of requests with one of `statuses`."""
        if not 0.0 <= rate <= 1.0:
            raise ValueError("error rate must be between 0 and 1")
        self._set(protocol, error_rate=rate, error_statuses=tuple(statuses))

    def burst_429(self, n: int, *, retry_after: float | None = 1.0, http_date: bool = False,
                  protocol: str | None = None) -> None:
        """Answer the next `n` requests with 429; `Retry-After` in seconds, HTTP-date, or none."""
        self._set(protocol, burst_429=n, retry_after=retry_after, http_date=http_date)

    def fail_next(self, n: int, status: int = 503, *, protocol: str | None = None) -> None:
        """Answer the next `n` requests with `status` (e.g. 500, 503, 404, 410, 403)."""
        self._set(protocol, fail=n, fail_status=status)

    def html_error_next(self, n: int, status: int = 502, *, protocol: str | None = None) -> None:
        """Answer the next `n` requests with a proxy's HTML error page (status may be 200)."""
        self._set(protocol, html=n, html_status=status)

    def truncate_next(self, n: int = 1, *, protocol: str | None = None) -> None:
        """Send only part of the next `n` bodies (Content-Length promises more), then close."""
        self._set(protocol, truncate=n)

    def trickle(self, *, chunk_size: int = 16, delay: float = 0.01, n: int | None = None,
                protocol: str | None = None) -> None:
        """Send bodies `chunk_size` bytes at a time, `delay` s apart; next `n` or until cleared."""
        self._set(protocol, trickle=-1 if n is None else n, trickle_chunk=max(1, chunk_size),
                  trickle_delay=max(0.0, delay))

    def reset_next(self, n: int = 1, *, protocol: str | None = None) -> None:
        """Reset the connection (no answer) for the next `n` requests."""
        self._set(protocol, reset=n)

    def set_down(self, down: bool = True, *, protocol: str | None = None) -> None:
        """Global: refuse connections. Per protocol: close its connections without answering."""
        with self._lock:
            scope = self._scope(protocol)
            changed = scope.down != down
            scope.down = down
            listeners = list(self._down_listeners) if protocol is None and changed else []
        for listener in listeners:
            listener(down)

    def clear(self, *scopes: str | None) -> None:
        """Remove faults: all of them with no argument, else those of the scopes named
        (None is the global scope, "17track" / "ems" a protocol's)."""
        was_down = self.down
        with self._lock:
            for key in scopes or tuple(self._scopes):
                self._scope(key)
                self._scopes[key] = _Scope()
            listeners = list(self._down_listeners) if was_down and not self._scopes[None].down \
                else []
        for listener in listeners:
            listener(False)

    @property
    def down(self) -> bool:
        with self._lock:
            return self._scopes[None].down

    def on_global_down(self, listener: Callable[[bool], None]) -> None:
        """Call `listener(down)` whenever the global down switch changes."""
        with self._lock:
            self._down_listeners.append(listener)

    # -- per request ---------------------------------------------------------------------------

    def decide(self, protocol: str | None) -> Decision:
        """Consume the faults that apply to one request of `protocol` and say what to do."""
        with self._lock:
            scopes = [self._scopes[protocol]] if protocol in PROTOCOLS else []
            scopes.append(self._scopes[None])
            decision = Decision(latency=sum(s.latency for s in scopes))
            if any(s.down for s in scopes):
                decision = replace(decision, action="down")
            elif _take(scopes, "reset"):
                decision = replace(decision, action="reset")
            elif scope := _take(scopes, "burst_429"):
                decision = replace(decision, action="429", status=429,
                                   retry_after=scope.retry_after,
                                   retry_after_http_date=scope.http_date)
            elif scope := _take(scopes, "fail"):
                decision = replace(decision, action="status", status=scope.fail_status)
            elif scope := _take(scopes, "html"):
                decision = replace(decision, action="html", status=scope.html_status)
            else:
                for scope in scopes:
                    if scope.error_rate and self._rng.random() < scope.error_rate:
                        decision = replace(decision, action="status",
                                           status=self._rng.choice(scope.error_statuses))
                        break
            if decision.action in ("down", "reset"):
                return decision
            if _take(scopes, "truncate"):
                decision = replace(decision, truncate=True)
            if scope := _take(scopes, "trickle"):
                decision = replace(decision, trickle=(scope.trickle_chunk, scope.trickle_delay))
            return decision
