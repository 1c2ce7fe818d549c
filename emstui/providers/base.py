"""The provider interface every tracking source implements, and its typed errors."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from emstui.core.model import ErrorKind, Tracking


class ProviderError(Exception):
    """A whole request to a provider failed. Never carries an API key in its text."""

    kind: ErrorKind = ErrorKind.PROVIDER
    retryable = True

    def __init__(self, provider: str, message: str, *, detail: str | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
        self.detail = detail  # short excerpt for the log, already sanitised


class AuthenticationError(ProviderError):
    """Bad or missing key, IP not whitelisted, account disabled: no retry until config changes."""

    kind = ErrorKind.AUTH
    retryable = False


class QuotaExhaustedError(ProviderError):
    """The account's quota or daily limit is used up: pause until config changes or it resets."""

    kind = ErrorKind.QUOTA
    retryable = False


class RateLimitedError(ProviderError):
    """HTTP 429. `retry_after` is seconds from now when the server said so."""

    kind = ErrorKind.RATE_LIMITED

    def __init__(self, provider: str, message: str, *, retry_after: float | None = None,
                 detail: str | None = None) -> None:
        super().__init__(provider, message, detail=detail)
        self.retry_after = retry_after


class TemporaryError(ProviderError):
    """Timeouts, connection errors, 5xx: back off and retry."""

    kind = ErrorKind.TEMPORARY

    def __init__(self, provider: str, message: str, *, retry_after: float | None = None,
                 detail: str | None = None, offline: bool = False) -> None:
        super().__init__(provider, message, detail=detail)
        self.retry_after = retry_after
        self.offline = offline  # True for connection-level failures (DNS, refused, unreachable)


class BadResponseError(ProviderError):
    """HTML where JSON was expected, invalid JSON, unexpected shapes, oversize bodies."""

    kind = ErrorKind.BAD_RESPONSE


class EndpointGoneError(ProviderError):
    """HTTP 404/410 from the endpoint itself: the source has moved; disable it and tell the user."""

    kind = ErrorKind.ENDPOINT_GONE
    retryable = False


@dataclass(frozen=True, slots=True)
class NumberError:
    """A per-number failure inside an otherwise successful request."""

    kind: ErrorKind
    message: str
    retryable: bool = True


@dataclass(frozen=True, slots=True)
class NumberResult:
    """The outcome for one number: a tracking, or a per-number error."""

    number: str
    tracking: Tracking | None = None
    error: NumberError | None = None

    @property
    def ok(self) -> bool:
        return self.tracking is not None


@dataclass(frozen=True, slots=True)
class Capabilities:
    max_batch: int  # numbers per request
    rate_per_second: float  # sustained requests per second
    concurrency: int  # requests in flight at once
    min_interval: float = 0.0  # seconds between request starts (EMS tracker: 1 s)


@runtime_checkable
class Provider(Protocol):
    """A tracking source. One instance per process; owns one httpx.AsyncClient."""

    id: str
    name: str
    capabilities: Capabilities

    def supports(self, number: str) -> bool:
        """Whether this source can track a (normalised) number at all."""
        ...

    async def track(self, numbers: Sequence[str]) -> list[NumberResult]:
        """Track up to `capabilities.max_batch` numbers in one logical request.

        Returns one NumberResult per input number, in input order. Raises ProviderError for a
        failure of the whole request.
        """
        ...

    async def aclose(self) -> None: ...


class Registrations(Protocol):
    """Remembers which numbers a provider has registered (17TRACK bills each registration once).

    The store implements it persistently; `MemoryRegistrations` is the in-process version.
    """

    def is_registered(self, number: str, provider: str) -> bool: ...

    def mark_registered(self, number: str, provider: str, *, at: datetime) -> None: ...


class MemoryRegistrations:
    """Registrations kept in memory only (demo mode, tests)."""

    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], datetime] = {}

    def is_registered(self, number: str, provider: str) -> bool:
        return (number, provider) in self._seen

    def mark_registered(self, number: str, provider: str, *, at: datetime) -> None:
        self._seen.setdefault((number, provider), at)
