"""A small HTTP/1.1 layer over asyncio streams: read requests, write (or mangle) responses."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

MAX_HEADERS = 100
MAX_BODY = 1 << 20
SERVER_NAME = "emstui-sim"


class BadRequest(Exception):
    """The bytes on the wire are not a request we can answer; answer `status` and close."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass(slots=True)
class Request:
    method: str
    target: str
    version: str
    headers: dict[str, str]
    body: bytes = b""
    path: str = field(init=False)
    query: str = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path or "/"
        self.query = parts.query

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def param(self, name: str) -> str | None:
        values = parse_qs(self.query, keep_blank_values=True).get(name)
        return values[0] if values else None

    @property
    def keep_alive(self) -> bool:
        tokens = {t.strip().lower() for t in (self.header("connection") or "").split(",")}
        if self.version == "HTTP/1.0":
            return "keep-alive" in tokens
        return "close" not in tokens


@dataclass(frozen=True, slots=True)
class Response:
    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: tuple[tuple[str, str], ...] = ()


def reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"


async def _line(reader: asyncio.StreamReader) -> bytes:
    try:
        return await reader.readline()
    except ValueError as exc:  # the line outgrew the stream limit
        raise BadRequest(431, "line too long") from exc


async def read_request(reader: asyncio.StreamReader,
                       writer: asyncio.StreamWriter) -> Request | None:
    """Read one request; None on a clean end of stream before a request starts."""
    line = await _line(reader)
    while line in (b"\r\n", b"\n"):  # tolerate stray blank lines between requests
        line = await _line(reader)
    if not line:
        return None
    try:
        method, target, version = line.decode("latin-1").rstrip("\r\n").split(" ")
    except ValueError as exc:
        raise BadRequest(400, "malformed request line") from exc
    if version not in ("HTTP/1.1", "HTTP/1.0") or not method.isalpha() or not target:
        raise BadRequest(400, "unsupported request line")
    headers: dict[str, str] = {}
    for _ in range(MAX_HEADERS + 1):
        raw = await _line(reader)
        if not raw:
            raise asyncio.IncompleteReadError(raw, None)
        if raw in (b"\r\n", b"\n"):
            break
        name, sep, value = raw.decode("latin-1").partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "malformed header")
        key = name.lower()
        value = value.strip()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    else:
        raise BadRequest(431, "too many headers")
    request = Request(method.upper(), target, version, headers)
    if (request.header("expect") or "").lower() == "100-continue":
        writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        await writer.drain()
    request.body = await _read_body(reader, request)
    return request


async def _read_body(reader: asyncio.StreamReader, request: Request) -> bytes:
    encoding = (request.header("transfer-encoding") or "").lower()
    if encoding:
        if encoding != "chunked":
            raise BadRequest(501, "unsupported transfer encoding")
        return await _read_chunked(reader)
    length = request.header("content-length")
    if length is None:
        return b""
    if not length.isdigit():
        raise BadRequest(400, "bad Content-Length")
    size = int(length)
    if size > MAX_BODY:
        raise BadRequest(413, "body too large")
    return await reader.readexactly(size)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = (await _line(reader)).split(b";", 1)[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError as exc:
            raise BadRequest(400, "bad chunk size") from exc
        if size == 0:
            while (await _line(reader)) not in (b"\r\n", b"\n", b""):
                pass  # trailers are ignored
            return bytes(body)
        if len(body) + size > MAX_BODY:
            raise BadRequest(413, "body too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


def encode_head(response: Response, *, content_length: int, keep_alive: bool) -> bytes:
    lines = [
        f"HTTP/1.1 {response.status} {reason(response.status)}",
        f"Date: {formatdate(usegmt=True)}",
        f"Server: {SERVER_NAME}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {content_length}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
        *(f"{k}: {v}" for k, v in response.headers),
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def write_response(writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool,
                         head_only: bool = False, truncate: bool = False,
                         trickle: tuple[int, float] | None = None) -> bool:
    """Send `response`, possibly mangled; True when the connection can serve another request."""
    body = b"" if head_only else response.body
    if truncate:
        declared = len(body) if len(body) >= 2 else len(body) + 64
        writer.write(encode_head(response, content_length=declared, keep_alive=False))
        writer.write(body[: len(body) // 2])
        await writer.drain()
        return False
    writer.write(encode_head(response, content_length=len(response.body), keep_alive=keep_alive))
    if trickle is None or not body:
        writer.write(body)
        await writer.drain()
        return keep_alive
    chunk, delay = trickle
    await writer.drain()
    for start in range(0, len(body), chunk):
        if start:
            await asyncio.sleep(delay)
        writer.write(body[start:start + chunk])
        await writer.drain()
    return keep_alive


def abort(writer: asyncio.StreamWriter, *, reset: bool) -> None:
    """Close the connection at once; with `reset`, send a TCP RST instead of a FIN."""
    if reset:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        writer.transport.abort()
    else:
        writer.close()
