"""Recording HTTP exchanges at the transport layer, and saving them redacted for a bug report.

`RecordingTransport` wraps the transport a provider's client would use and notes, for every
request, the status, the latency (until the body was read) and the body as received. The
adapters stay unaware of it: `emstui doctor` passes it in like any injected transport.
`save_exchanges` writes each exchange to its own file with API keys, tokens and cookies
replaced by "[redacted]".
"""

from __future__ import annotations

import os
import re
import ssl
import time
import zlib
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import httpx

from emstui.core.sanitize import clean_line
from emstui.providers.http import JSON_BODY_CAP, redact

REDACTED = "[redacted]"
RECORD_CAP = JSON_BODY_CAP  # bytes of a body kept; the adapters refuse larger bodies anyway

# Header names whose values are credentials or session state.
_SECRET_NAME = re.compile(r"token|key|auth|cookie|secret|session|passw|csrf|xsrf|signature",
                          re.IGNORECASE)
# Field names inside bodies: stricter, so that e.g. <meta name="keywords"> stays readable.
_TOKEN_NAME = re.compile(r"token|secret|session|passw|csrf|xsrf|api[_-]?key", re.IGNORECASE)
_JSON_FIELD = re.compile(
    r'("[\w.-]*(?:token|secret|passw|api[_-]?key|session|csrf|xsrf)[\w.-]*"\s*:\s*)'
    r'"(?:[^"\\]|\\.)*"', re.IGNORECASE)
# <input name="__RequestVerificationToken" value="...">, <meta name="csrf-token" content="...">
_HTML_TAG = re.compile(r"<(?:input|meta)\b[^>]*>", re.IGNORECASE)
_HTML_VALUE = re.compile(r'(\b(?:value|content)\s*=\s*)("[^"]*"|\'[^\']*\'|[^\s>]+)',
                         re.IGNORECASE)
_QUERY_PAIR = re.compile(r"([?&][^=&#]*(?:token|key|secret|auth|sign)[^=&#]*=)[^&#]*",
                         re.IGNORECASE)


@dataclass
class Exchange:
    """One request and what came back (or how it failed)."""

    source: str
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: bytes
    status: int | None = None
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    elapsed: float | None = None  # seconds from sending to the end of the body (or the error)
    error: str | None = None  # the transport failure's type, e.g. "ConnectError"

    @property
    def endpoint(self) -> str:
        """The last path segment ("gettrackinfo", "track"), for file names and messages."""
        path = httpx.URL(self.url).path.rstrip("/")
        return path.rsplit("/", 1)[-1] or "root"


def default_transport() -> httpx.AsyncHTTPTransport:
    """What `build_client` would have used without an injected transport."""
    return httpx.AsyncHTTPTransport(verify=ssl.create_default_context(), trust_env=False,
                                    limits=httpx.Limits(max_connections=1))


class _TeeStream(httpx.AsyncByteStream):
    """Passes the body through unchanged, keeping a copy up to a cap and timing the read."""

    def __init__(self, inner: httpx.AsyncByteStream, exchange: Exchange,
                 started: float, timer: Callable[[], float]) -> None:
        self._inner = inner
        self._exchange = exchange
        self._started = started
        self._timer = timer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        exchange = self._exchange
        async for chunk in self._inner:
            room = RECORD_CAP - len(exchange.body)
            if len(chunk) > room:
                exchange.truncated = True
            exchange.body += chunk[:max(0, room)]
            yield chunk
        exchange.elapsed = self._timer() - self._started

    async def aclose(self) -> None:
        if self._exchange.elapsed is None:
            self._exchange.elapsed = self._timer() - self._started
        await self._inner.aclose()


class RecordingTransport(httpx.AsyncBaseTransport):
    """Records every exchange into `log`; the request and response are otherwise untouched."""

    def __init__(self, source: str, log: list[Exchange], *,
                 inner: httpx.AsyncBaseTransport | None = None,
                 timer: Callable[[], float] = time.perf_counter) -> None:
        self.source = source
        self.log = log
        self._inner = inner or default_transport()
        self._timer = timer

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            body = request.content
        except httpx.RequestNotRead:
            body = b""
        exchange = Exchange(self.source, request.method, str(request.url),
                            list(request.headers.multi_items()), body)
        self.log.append(exchange)
        started = self._timer()
        try:
            response = await self._inner.handle_async_request(request)
        except Exception as exc:
            exchange.elapsed = self._timer() - started
            exchange.error = type(exc).__name__
            raise
        exchange.status = response.status_code
        exchange.response_headers = list(response.headers.multi_items())
        if not isinstance(response.stream, httpx.AsyncByteStream):
            return response  # not a streamed answer: nothing to copy on the way through
        return httpx.Response(response.status_code, headers=response.headers,
                              stream=_TeeStream(response.stream, exchange, started, self._timer),
                              extensions=response.extensions, request=request)

    async def aclose(self) -> None:
        await self._inner.aclose()


# ---- redaction and saving --------------------------------------------------------------------


def redact_text(text: str, secrets: Iterable[str] = ()) -> str:
    """Known secrets anywhere, and the values of token-like JSON fields and HTML inputs."""
    secrets = tuple(secrets)
    text = redact(text, secrets)
    text = _JSON_FIELD.sub(lambda m: f'{m.group(1)}"{REDACTED}"', text)

    def tag(match: re.Match[str]) -> str:
        whole = match.group(0)
        if not _TOKEN_NAME.search(whole):
            return whole
        return _HTML_VALUE.sub(lambda m: f'{m.group(1)}"{REDACTED}"', whole)

    text = _HTML_TAG.sub(tag, text)
    return _QUERY_PAIR.sub(lambda m: m.group(1) + REDACTED, text)


def redact_headers(headers: Sequence[tuple[str, str]],
                   secrets: Iterable[str] = ()) -> list[tuple[str, str]]:
    secrets = tuple(secrets)
    return [(name, REDACTED if _SECRET_NAME.search(name) else redact(value, secrets))
            for name, value in headers]


def decoded_body(exchange: Exchange) -> bytes:
    """The body as the adapter read it: gzip/deflate undone (bounded), else as received."""
    encoding = next((v.lower() for k, v in exchange.response_headers
                     if k.lower() == "content-encoding"), "")
    if encoding not in ("gzip", "deflate", "x-gzip"):
        return bytes(exchange.body)
    try:
        decoder = zlib.decompressobj(wbits=47)  # gzip or zlib header, detected
        return decoder.decompress(bytes(exchange.body), RECORD_CAP)
    except zlib.error:
        return bytes(exchange.body)


def render_exchange(exchange: Exchange, secrets: Iterable[str], *, when: datetime) -> str:
    """The whole exchange as text: a commented summary, request, response headers, raw body."""
    secrets = tuple(secrets)
    lines = [f"# emstui doctor capture: {exchange.source}, {when.isoformat(timespec='seconds')}",
             "# API keys, tokens and cookies are replaced by [redacted].",
             f"> {exchange.method} {redact_text(exchange.url, secrets)}"]
    lines += [f"> {name}: {value}"
              for name, value in redact_headers(exchange.request_headers, secrets)]
    if exchange.request_body:
        lines.append(">")
        lines.append("> " + redact_text(exchange.request_body.decode("utf-8", "replace"),
                                        secrets))
    elapsed = f" ({exchange.elapsed * 1000:.0f} ms)" if exchange.elapsed is not None else ""
    if exchange.status is None:
        lines.append(f"< no answer: {exchange.error or 'unknown failure'}{elapsed}")
        return "\n".join(lines) + "\n"
    lines.append(f"< HTTP {exchange.status}{elapsed}")
    lines += [f"< {name}: {value}"
              for name, value in redact_headers(exchange.response_headers, secrets)]
    if exchange.truncated:
        lines.append(f"# body cut at {RECORD_CAP} bytes")
    lines.append("")
    body = redact_text(decoded_body(exchange).decode("utf-8", "replace"), secrets)
    return "\n".join(lines) + "\n" + body


def save_exchanges(directory: Path, exchanges: Sequence[Exchange], secrets: Iterable[str], *,
                   when: datetime) -> list[Path]:
    """One file per exchange in `directory` (created if needed); never overwrites a file.

    Raises OSError when the directory or a file cannot be written.
    """
    secrets = tuple(secrets)
    directory.mkdir(parents=True, exist_ok=True)
    stamp = when.strftime("%Y%m%dT%H%M%SZ")
    written = []
    for index, exchange in enumerate(exchanges, start=1):
        name = clean_line(f"{exchange.source}-{exchange.endpoint}", limit=60)
        safe = re.sub(r"[^A-Za-z0-9._-]+", "_", name)
        path = directory / f"doctor-{stamp}-{index:02d}-{safe}.txt"
        text = render_exchange(exchange, secrets, when=when)
        # Created owner-only and exclusively: responses describe the user's parcels.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8", errors="replace") as handle:
            handle.write(text)
        written.append(path)
    return written
