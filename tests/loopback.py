"""A real HTTP server on 127.0.0.1 answering each request with the next queued reply.

The providers' tests use it for replies the simulator never sends (spec payloads, odd pages,
garbage, oversize bodies); everything the real services do send comes from `emstui.sim`.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True, slots=True)
class Seen:
    """One request as the server received it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def endpoint(self) -> str:
        return self.path.split("?", 1)[0].rsplit("/", 1)[-1]

    def json(self) -> Any:
        return json.loads(self.body or b"null")


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client hanging up mid-body (size-cap tests) is expected


class Canned:
    """Answers each request with the next queued reply; an empty queue answers HTTP 500."""

    def __init__(self, path: str = "/", *, content_type: str = "text/html") -> None:
        self.path = path
        self.content_type = content_type
        self.queue: deque[tuple[int, dict[str, str], bytes]] = deque()
        self.seen: list[Seen] = []

    def reply(self, body: str | bytes, status: int = 200, *, content_type: str | None = None,
              headers: dict[str, str] | None = None) -> None:
        data = body.encode() if isinstance(body, str) else body
        kind = content_type or self.content_type
        self.queue.append((status, {"Content-Type": kind, **(headers or {})}, data))

    @property
    def endpoints(self) -> list[str]:
        return [seen.endpoint for seen in self.seen]

    def __enter__(self) -> Canned:
        canned = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                canned.seen.append(Seen(self.command, self.path, dict(self.headers), body))
                status, headers, data = canned.queue.popleft() if canned.queue else (
                    500, {}, b"nothing queued")
                self.send_response(status)
                for key, value in headers.items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = _answer

            def log_message(self, *args: object) -> None:
                pass

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True).start()
        host, port = self.server.server_address[:2]
        self.url = f"http://{host}:{port}{self.path}"
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
