"""Shared HTTP plumbing for providers: safe clients, capped reads, and typed error translation."""

from __future__ import annotations

import asyncio
import functools
import re
import ssl
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any

from emstui import __version__
from emstui.core.politeness import (  # noqa: F401  (re-exported for the adapters)
    check_base_url,
    check_user_agent,
    is_loopback_host,
)
from emstui.core.sanitize import clean_line, excerpt
from emstui.providers import DEFAULT_TIMEOUT  # noqa: F401  (re-exported for the adapters)
from emstui.providers.base import (
    BadResponseError,
    EndpointGoneError,
    ProviderError,
    RateLimitedError,
    TemporaryError,
)

# httpx is imported where a request is made or a URL checked: importing it costs ~0.1 s (it
# pulls in rich), which an `emstui --once` with nothing due should not pay.
if TYPE_CHECKING:
    import httpx

PROJECT_URL = "https://github.com/emstui/emstui"
HONEST_USER_AGENT = f"emstui/{__version__} (+{PROJECT_URL})"
# The EMS tracker answers the default Python User-Agent with HTTP 403 (ems-cooperative.md §1), so
# it gets a browser token; it still names emstui so the operator can see who is asking.
BROWSER_USER_AGENT = f"Mozilla/5.0 (X11; Linux x86_64) emstui/{__version__} (+{PROJECT_URL})"

JSON_BODY_CAP = 2 * 1024 * 1024
HTML_BODY_CAP = 1024 * 1024

_REDACTED = "[redacted]"


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """One certificate store for every client: loading the CA bundle costs ~0.1 s each time."""
    return ssl.create_default_context()


def build_client(*, base_url: str, setting: str, user_agent: str, timeout: float,
                 concurrency: int = 1, headers: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None) -> httpx.AsyncClient:
    """One AsyncClient for the life of a provider. `setting` names the config key for errors."""
    import httpx

    check_base_url(base_url, setting=setting)
    if timeout <= 0:
        raise ValueError("the request timeout must be positive")
    all_headers = {"User-Agent": user_agent, **(headers or {})}
    limits = httpx.Limits(max_connections=max(1, concurrency),
                          max_keepalive_connections=max(1, concurrency), keepalive_expiry=30.0)
    return httpx.AsyncClient(
        base_url=base_url,
        headers=all_headers,
        timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
        limits=limits,
        transport=transport,
        follow_redirects=False,  # a redirect could leave https or carry the key elsewhere
        trust_env=False,  # no proxy/netrc surprises from the environment
        verify=_tls_context(),
    )


class LazyClient:
    """A provider's AsyncClient, built on its first request: a run that sends nothing (cron
    with nothing due) pays neither for importing httpx nor for loading the TLS certificate
    store. The settings are checked now, so a bad one still fails when the provider is built.
    """

    def __init__(self, *, base_url: str, setting: str, user_agent: str, timeout: float,
                 concurrency: int = 1, headers: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 checked: bool = False) -> None:
        if not checked:  # `checked`: the provider's own default, known to be a good URL
            check_base_url(base_url, setting=setting)
        if timeout <= 0:
            raise ValueError("the request timeout must be positive")
        self.base_url = base_url
        self._settings: dict[str, Any] = dict(
            base_url=base_url, setting=setting, user_agent=user_agent, timeout=timeout,
            concurrency=concurrency, headers=headers, transport=transport)
        self._client: httpx.AsyncClient | None = None

    def get(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = build_client(**self._settings)
        return self._client

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret (case-sensitive and not) with a marker."""
    for secret in secrets:
        if secret:
            text = re.sub(re.escape(secret), _REDACTED, text, flags=re.IGNORECASE)
    return text


def safe_excerpt(body: bytes | str, secrets: Iterable[str] = (), limit: int = 200) -> str:
    """A short, sanitised, key-free excerpt of a response body for `ProviderError.detail`."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    # Redact before and after cleaning: cleaning could join pieces split by control characters.
    return redact(excerpt(redact(text, secrets), limit), secrets)


def parse_retry_after(value: str | None, now: datetime) -> float | None:
    """Seconds to wait from a Retry-After header: delta-seconds or an HTTP-date."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if value.isdigit():
        return float(int(value))
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    if when.tzinfo is None:  # "-0000" dates come back naive; HTTP dates are GMT
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - now).total_seconds())


async def read_limited(response: httpx.Response, cap: int, *, provider: str) -> bytes:
    """Read a streamed body, failing with BadResponseError as soon as it exceeds `cap` bytes."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise BadResponseError(provider, f"response too large ({int(declared)} bytes, "
                                         f"limit {cap})")
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > cap:
            raise BadResponseError(provider, f"response too large (over {cap} bytes)")
        chunks.append(chunk)
    return b"".join(chunks)


@dataclass(frozen=True, slots=True)
class Reply:
    """A fully read HTTP response."""

    status: int
    headers: httpx.Headers
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    def text(self) -> str:
        """The body decoded with its declared charset (UTF-8 if none or unknown)."""
        charset = "utf-8"
        for part in self.headers.get("content-type", "").split(";")[1:]:
            key, _, val = part.partition("=")
            if key.strip().lower() == "charset" and val.strip():
                charset = val.strip().strip('"')
        try:
            return self.body.decode(charset, errors="replace")
        except LookupError:
            return self.body.decode("utf-8", errors="replace")


def _transport_error(provider: str, exc: Exception, secrets: Iterable[str]) -> ProviderError:
    import httpx

    what = clean_line(redact(f"{type(exc).__name__}: {exc}", secrets), limit=200)
    if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
        return TemporaryError(provider, "cannot connect (offline or host unreachable)",
                              detail=what, offline=True)
    if isinstance(exc, httpx.TimeoutException):
        return TemporaryError(provider, "request timed out", detail=what)
    if isinstance(exc, httpx.RemoteProtocolError):
        return TemporaryError(provider, "connection closed before the response was complete",
                              detail=what)
    if isinstance(exc, httpx.DecodingError):
        return BadResponseError(provider, "response could not be decoded", detail=what)
    return TemporaryError(provider, "network error", detail=what)


async def fetch(client: httpx.AsyncClient, method: str, url: str, *, provider: str, cap: int,
                deadline: float, secrets: Iterable[str] = (), **kwargs: Any) -> Reply:
    """Send one request and read its body under a size cap and an overall deadline.

    Transport failures become typed ProviderErrors; HTTP status codes are left to the caller.
    `deadline` bounds the whole exchange, so a server trickling bytes cannot hold us forever.
    """
    import httpx

    secrets = tuple(secrets)
    try:
        async with asyncio.timeout(deadline):
            async with client.stream(method, url, **kwargs) as response:
                body = await read_limited(response, cap, provider=provider)
                return Reply(response.status_code, response.headers, body)
    except TimeoutError:
        raise TemporaryError(provider, f"no complete response within {deadline:g} s") from None
    except httpx.HTTPError as exc:
        # `from None`: the httpx exception holds the request, headers (and key) included.
        raise _transport_error(provider, exc, secrets) from None


def raise_for_status(reply: Reply, *, provider: str, now: datetime, setting: str = "base_url",
                     secrets: Iterable[str] = ()) -> None:
    """Translate the statuses every provider treats alike: 404/410, 429, 5xx, other non-2xx.

    Callers handle 401/403 themselves first (their meaning differs by provider). `setting` names
    the base URL setting for the "endpoint gone" message.
    """
    status = reply.status
    if 200 <= status < 300:
        return
    detail = safe_excerpt(reply.body, secrets) or None
    retry_after = parse_retry_after(reply.headers.get("retry-after"), now)
    if status in (404, 410):
        raise EndpointGoneError(provider, f"the endpoint answered HTTP {status}: it has moved "
                                          f"or closed (check {setting})", detail=detail)
    if status == 429:
        raise RateLimitedError(provider, "rate limited (HTTP 429)", retry_after=retry_after,
                               detail=detail)
    if status >= 500:
        raise TemporaryError(provider, f"server error (HTTP {status})", retry_after=retry_after,
                             detail=detail)
    if 300 <= status < 400:
        location = clean_line(redact(reply.headers.get("location", ""), secrets), limit=120)
        raise BadResponseError(provider, f"unexpected redirect (HTTP {status}) to {location!r}",
                               detail=detail)
    raise BadResponseError(provider, f"unexpected HTTP {status}", detail=detail)
