"""Provider HTTP plumbing: URL safety, User-Agents, Retry-After, capped reads, error mapping."""

from __future__ import annotations

import socket
from datetime import UTC, datetime

import httpx
import pytest

from emstui import __version__
from emstui.providers.base import (
    BadResponseError,
    EndpointGoneError,
    RateLimitedError,
    TemporaryError,
)
from emstui.providers.http import (
    BROWSER_USER_AGENT,
    HONEST_USER_AGENT,
    build_client,
    check_base_url,
    check_user_agent,
    fetch,
    parse_retry_after,
    raise_for_status,
    read_limited,
    safe_excerpt,
)

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
KEY = "SeCrEtKeY-7f3a9c21d4e8"


def client_for(handler, **kw) -> httpx.AsyncClient:
    return build_client(base_url="https://example.test/api/", setting="[providers.x] base_url",
                        user_agent=HONEST_USER_AGENT, timeout=5.0,
                        transport=httpx.MockTransport(handler), **kw)


# -- base URLs -----------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    "https://api.17track.net/track/v2.2",
    "http://127.0.0.1:8080/track/v2.2",
    "http://127.9.9.9/x",
    "http://[::1]:9000/x",
    "http://localhost:9000/x",
])
def test_https_or_loopback_http_is_accepted(url: str) -> None:
    assert check_base_url(url, setting="[providers.17track] base_url") == url


@pytest.mark.parametrize("url", [
    "http://api.17track.net/track/v2.2",
    "http://10.0.0.1/x",
    "http://128.0.0.1/x",
    "http://localhost.evil.example/x",
])
def test_plain_http_to_a_remote_host_is_refused_naming_the_setting(url: str) -> None:
    with pytest.raises(ValueError, match=r"\[providers\.17track\] base_url must use https://"):
        check_base_url(url, setting="[providers.17track] base_url")


def test_other_schemes_and_hostless_urls_are_refused() -> None:
    with pytest.raises(ValueError, match="must be an https:// URL"):
        check_base_url("ftp://example.com/x", setting="[providers.ems] base_url")
    with pytest.raises(ValueError, match="no host"):
        check_base_url("/just/a/path", setting="[providers.ems] base_url")


def test_build_client_refuses_remote_http() -> None:
    with pytest.raises(ValueError, match=r"\[providers\.ems\] base_url"):
        build_client(base_url="http://items.ems.post/api", setting="[providers.ems] base_url",
                     user_agent=HONEST_USER_AGENT, timeout=5.0)


# -- User-Agents ---------------------------------------------------------------------------------

def test_user_agents_name_emstui_and_its_version() -> None:
    assert HONEST_USER_AGENT.startswith(f"emstui/{__version__} (+https://")
    assert BROWSER_USER_AGENT.startswith("Mozilla/5.0 ")
    assert f"emstui/{__version__}" in BROWSER_USER_AGENT


def test_a_user_agent_with_a_newline_is_refused_naming_the_setting() -> None:
    with pytest.raises(ValueError, match=r"\[providers\.ems\] user_agent"):
        check_user_agent("Mozilla/5.0\r\nX-Evil: 1", setting="[providers.ems] user_agent")
    assert check_user_agent("Mozilla/5.0 mine", setting="s") == "Mozilla/5.0 mine"


async def test_client_sends_the_configured_user_agent() -> None:
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers["user-agent"])
        return httpx.Response(200, text="ok")

    async with client_for(handler) as client:
        await fetch(client, "GET", "x", provider="p", cap=100, deadline=5)
    assert seen == [HONEST_USER_AGENT]


# -- Retry-After ---------------------------------------------------------------------------------

def test_retry_after_in_delta_seconds() -> None:
    assert parse_retry_after("120", NOW) == 120.0
    assert parse_retry_after(" 0 ", NOW) == 0.0


def test_retry_after_as_an_http_date_is_relative_to_the_injected_clock() -> None:
    assert parse_retry_after("Tue, 24 Nov 2026 12:01:30 GMT", NOW) == 90.0


def test_retry_after_in_the_past_means_now_and_garbage_means_unknown() -> None:
    assert parse_retry_after("Tue, 24 Nov 2026 11:00:00 GMT", NOW) == 0.0
    assert parse_retry_after("soon", NOW) is None
    assert parse_retry_after("-5", NOW) is None
    assert parse_retry_after(None, NOW) is None


# -- capped reads --------------------------------------------------------------------------------

async def test_body_over_the_cap_is_refused_while_streaming() -> None:
    async def chunks():
        for _ in range(100):
            yield b"x" * 1000

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=chunks())  # no Content-Length: must count while reading

    async with client_for(handler) as client, client.stream("GET", "x") as response:
        with pytest.raises(BadResponseError, match="too large"):
            await read_limited(response, 10_000, provider="p")


async def test_declared_oversize_body_is_refused_before_reading() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000000"}, content=b"{}")

    async with client_for(handler) as client:
        with pytest.raises(BadResponseError, match="5000000 bytes"):
            await fetch(client, "GET", "x", provider="p", cap=2_000_000, deadline=5)


async def test_body_within_the_cap_is_returned_whole() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=b"y" * 999)

    async with client_for(handler) as client:
        reply = await fetch(client, "GET", "x", provider="p", cap=999, deadline=5)
    assert reply.body == b"y" * 999


# -- transport errors ----------------------------------------------------------------------------

@pytest.mark.parametrize(("exc", "offline"), [
    (httpx.ConnectError("Name or service not known"), True),
    (httpx.ConnectTimeout("timed out"), True),
    (httpx.ReadTimeout("timed out"), False),
    (httpx.ReadError("Connection reset by peer"), False),
    (httpx.RemoteProtocolError("peer closed connection without sending complete message body"),
     False),
])
async def test_transport_failures_become_temporary_errors(exc: Exception, offline: bool) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise exc

    async with client_for(handler) as client:
        with pytest.raises(TemporaryError) as info:
            await fetch(client, "GET", "x", provider="p", cap=100, deadline=5)
    assert info.value.offline is offline
    assert info.value.retryable
    assert info.value.__cause__ is None  # the httpx error (holding the request headers) is dropped


async def test_connection_refused_on_a_real_socket_is_offline() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    client = build_client(base_url=f"http://127.0.0.1:{port}/", setting="s",
                          user_agent=HONEST_USER_AGENT, timeout=5.0)
    async with client:
        with pytest.raises(TemporaryError) as info:
            await fetch(client, "GET", "x", provider="p", cap=100, deadline=5)
    assert info.value.offline


async def test_transport_error_text_never_carries_the_key() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadError(f"reset while sending 17token: {KEY}")

    async with client_for(handler, headers={"17token": KEY}) as client:
        with pytest.raises(TemporaryError) as info:
            await fetch(client, "GET", "x", provider="p", cap=100, deadline=5, secrets=[KEY])
    for text in (str(info.value), repr(info.value), info.value.detail or ""):
        assert KEY not in text
        assert KEY.lower() not in text.lower()


# -- statuses ------------------------------------------------------------------------------------

async def status_error(status: int, headers: dict[str, str] | None = None, body: bytes = b""):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers=headers, content=body)

    async with client_for(handler) as client:
        reply = await fetch(client, "GET", "x", provider="p", cap=10_000, deadline=5)
    with pytest.raises(Exception) as info:
        raise_for_status(reply, provider="p", now=NOW, secrets=[KEY])
    return info.value


@pytest.mark.parametrize("status", [404, 410])
async def test_404_and_410_mean_the_endpoint_is_gone(status: int) -> None:
    error = await status_error(status)
    assert isinstance(error, EndpointGoneError)
    assert not error.retryable


async def test_429_with_seconds_carries_retry_after() -> None:
    error = await status_error(429, {"Retry-After": "7"})
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 7.0


async def test_429_with_an_http_date_carries_retry_after() -> None:
    error = await status_error(429, {"Retry-After": "Tue, 24 Nov 2026 12:00:45 GMT"})
    assert isinstance(error, RateLimitedError)
    assert error.retry_after == 45.0


async def test_429_without_retry_after_leaves_it_to_the_backoff() -> None:
    error = await status_error(429)
    assert isinstance(error, RateLimitedError)
    assert error.retry_after is None


@pytest.mark.parametrize("status", [500, 502, 503])
async def test_5xx_is_temporary_and_keeps_retry_after(status: int) -> None:
    error = await status_error(status, {"Retry-After": "30"})
    assert isinstance(error, TemporaryError)
    assert error.retry_after == 30.0
    assert not error.offline


async def test_redirects_are_not_followed() -> None:
    error = await status_error(302, {"Location": "http://elsewhere.example/steal"})
    assert isinstance(error, BadResponseError)
    assert "redirect" in error.message


async def test_error_detail_is_sanitised_and_redacted() -> None:
    body = f"\x1b[31mboom\x1b[0m <b>token={KEY}</b>".encode()
    error = await status_error(500, body=body)
    assert error.detail is not None
    assert "\x1b" not in error.detail
    assert "<b>" in error.detail
    assert KEY not in error.detail


def test_safe_excerpt_redacts_a_key_split_by_control_characters() -> None:
    split = KEY[:5] + "\x00" + KEY[5:]
    assert KEY not in safe_excerpt(f"key={split}", [KEY])
