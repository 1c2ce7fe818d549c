"""SimServer: the loopback server speaking 17TRACK v2.2 and the EMS tracker, in its own thread."""

from __future__ import annotations

import asyncio
import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from types import TracebackType

from emstui.core.clock import Clock, SystemClock
from emstui.core.logs import logger
from emstui.sim import emspage
from emstui.sim.demo import assign_demo
from emstui.sim.faults import Decision, Faults
from emstui.sim.httpd import (
    BadRequest,
    Request,
    Response,
    abort,
    read_request,
    reason,
    write_response,
)
from emstui.sim.journeys import Journeys
from emstui.sim.numbers import S10_RE, is_ems, is_valid_s10
from emstui.sim.ratelimit import SlidingWindowLimiter
from emstui.sim.track17 import ENDPOINTS, Reply, Track17, numbers_in

log = logger("emstui.sim")

PATH_17TRACK = "/track/v2.2"
PATH_EMS = "/api/publicTracking/track"
_HTML = "text/html; charset=utf-8"
GATEWAY_PAGE = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


LOG_LIMIT = 200_000  # request records kept (the newest)


@dataclass(frozen=True, slots=True)
class RequestRecord:
    """One request as the server saw it. The 17token header is never kept."""

    time: datetime
    method: str
    path: str
    query: str
    status: int  # 0 when no answer was sent (reset, down)
    numbers: tuple[str, ...]
    protocol: str | None = None
    fault: str | None = None


def _protocol(path: str) -> str | None:
    if path.startswith(PATH_17TRACK + "/"):
        return "17track"
    if path == PATH_EMS:
        return "ems"
    return None


class SimServer:
    """Loopback HTTP server with simulated journeys and fault injection.

    Runs its own event loop in a daemon thread, so sync tests, async tests and Textual apps can
    all use it. Simulated time is `epoch + (clock.now() - start) * time_scale`.
    """

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, api_key: str = "sim-key",
                 quota: int = 100, clock: Clock | None = None, time_scale: float = 1.0,
                 epoch: datetime | None = None, seed: int = 0, rate_limit: float = 3.0,
                 retry_after_on_429: bool = True,
                 monotonic: Callable[[], float] = time.monotonic,
                 idle_timeout: float = 30.0) -> None:
        self.host = host
        self.port = port
        self.clock: Clock = clock or SystemClock()
        self.time_scale = time_scale
        self._started_at = self.clock.now()
        self.epoch = epoch or self._started_at
        self.journeys = Journeys(self.epoch)
        self.faults = Faults(seed)
        self.track17 = Track17(
            self.journeys, api_key=api_key, quota=quota, sim_now=self.sim_now,
            real_now=self.clock.now, retry_after_on_429=retry_after_on_429,
            limiter=SlidingWindowLimiter(rate_limit, time_source=monotonic),
        )
        self.idle_timeout = idle_timeout
        # Bounded, so a demo left running for weeks does not grow without end.
        self._log: deque[RequestRecord] = deque(maxlen=LOG_LIMIT)
        self._log_lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._listener: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()
        self.faults.on_global_down(self._on_global_down)

    def __repr__(self) -> str:  # never shows the key
        return f"SimServer({self.base_url if self._thread else 'not started'})"

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self) -> SimServer:
        if self._thread is not None:
            raise RuntimeError("SimServer already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        self._thread = threading.Thread(target=self._run, args=(ready, failure),
                                        name="emstui-sim", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = None
            raise failure[0]
        return self

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        if loop.is_running():
            asyncio.run_coroutine_threadsafe(self._shutdown(), loop).result(timeout=10)
            loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = None

    def __enter__(self) -> SimServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _run(self, ready: threading.Event, failure: list[BaseException]) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._listen())
            if self.faults.down:
                loop.run_until_complete(self._close_listener())
        except BaseException as exc:
            failure.append(exc)
            loop.close()
            self._loop = None
            ready.set()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _listen(self) -> None:
        self._listener = await asyncio.start_server(
            self._on_connection, self.host, self.port, reuse_address=True)
        self.port = self._listener.sockets[0].getsockname()[1]

    async def _close_listener(self) -> None:
        if self._listener is not None:
            self._listener.close()
            await self._listener.wait_closed()
            self._listener = None

    async def _drop_connections(self) -> None:
        tasks = [t for t in self._connections if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _shutdown(self) -> None:
        await self._close_listener()
        await self._drop_connections()

    async def _set_down(self, down: bool) -> None:
        if down:
            await self._close_listener()
            await self._drop_connections()
        elif self._listener is None:
            await self._listen()

    def _on_global_down(self, down: bool) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None or not loop.is_running():
            return
        if threading.get_ident() == thread.ident:
            task = loop.create_task(self._set_down(down))
            self._connections.add(task)  # keeps a reference until it finishes
            task.add_done_callback(self._connections.discard)
        else:
            asyncio.run_coroutine_threadsafe(self._set_down(down), loop).result(timeout=10)

    # -- public state --------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def url_17track(self) -> str:
        return self.base_url + PATH_17TRACK

    @property
    def url_ems(self) -> str:
        return self.base_url + PATH_EMS

    def sim_now(self) -> datetime:
        """The simulation's notion of now."""
        return self.epoch + (self.clock.now() - self._started_at) * self.time_scale

    @property
    def requests(self) -> list[RequestRecord]:
        with self._log_lock:
            return list(self._log)

    def request_count(self, endpoint: str | None = None) -> int:
        """Requests seen, optionally only those whose path ends with `/endpoint`."""
        with self._log_lock:
            return sum(1 for r in self._log
                       if endpoint is None or r.path.rstrip("/").endswith("/" + endpoint))

    def reset_log(self) -> None:
        with self._log_lock:
            self._log.clear()

    def registrations(self) -> dict[str, int]:
        """Number -> how many times `register` was accepted for it."""
        return self.track17.registrations()

    def load_demo(self) -> list[tuple[str, str, str]]:
        """Assign the demo parcels' scenarios; returns (number, label, scenario)."""
        return assign_demo(self.journeys)

    # -- connections ---------------------------------------------------------------------------

    async def _on_connection(self, reader: asyncio.StreamReader,
                             writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        reset = False
        try:
            while True:
                try:
                    request = await asyncio.wait_for(read_request(reader, writer),
                                                     self.idle_timeout)
                except BadRequest as exc:
                    response = Response(exc.status, f"{exc.status} {reason(exc.status)}\n".encode())
                    await write_response(writer, response, keep_alive=False)
                    break
                if request is None:
                    break
                keep, reset = await self._serve(request, writer)
                if not keep:
                    break
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass
        except asyncio.CancelledError:
            reset = True
        except Exception:
            log.exception("simulator connection failed")
        finally:
            self._connections.discard(task)
            abort(writer, reset=reset)

    def _record(self, request: Request, status: int, numbers: tuple[str, ...],
                protocol: str | None, fault: str | None) -> None:
        record = RequestRecord(self.clock.now(), request.method, request.path, request.query,
                               status, numbers, protocol, fault)
        with self._log_lock:
            self._log.append(record)

    async def _serve(self, request: Request, writer: asyncio.StreamWriter) -> tuple[bool, bool]:
        """Answer one request; returns (keep the connection, close it with a reset)."""
        protocol = _protocol(request.path)
        numbers = self._numbers(request, protocol)
        decision = self.faults.decide(protocol)
        if decision.latency:
            await asyncio.sleep(decision.latency)
        if decision.action in ("down", "reset"):
            self._record(request, 0, numbers, protocol, decision.action)
            return False, decision.action == "reset"
        if decision.action is not None:
            response = self._fault_response(decision)
        else:
            try:
                response = self._route(request, protocol)
            except Exception:
                log.exception("simulator handler failed")
                response = Response(500, b"500 Internal Server Error\n")
        fault = decision.action or ("truncate" if decision.truncate else None) or \
            ("trickle" if decision.trickle else None)
        self._record(request, response.status, numbers, protocol, fault)
        keep = await write_response(writer, response, keep_alive=request.keep_alive,
                                    head_only=request.method == "HEAD",
                                    truncate=decision.truncate, trickle=decision.trickle)
        return keep, False

    def _numbers(self, request: Request, protocol: str | None) -> tuple[str, ...]:
        if protocol == "17track":
            return numbers_in(request.body)
        if protocol == "ems":
            item = request.param("itemId")
            return (item.strip().upper(),) if item and item.strip() else ()
        return ()

    def _fault_response(self, decision: Decision) -> Response:
        status = decision.status or 500
        if decision.action == "html":
            return Response(status, GATEWAY_PAGE, _HTML)
        headers: tuple[tuple[str, str], ...] = ()
        if decision.action == "429" and decision.retry_after is not None:
            if decision.retry_after_http_date:
                when = self.clock.now() + timedelta(seconds=decision.retry_after)
                headers = (("Retry-After", format_datetime(when, usegmt=True)),)
            else:
                headers = (("Retry-After", str(math.ceil(decision.retry_after))),)
        return Response(status, f"{status} {reason(status)}\n".encode(), headers=headers)

    # -- routes --------------------------------------------------------------------------------

    def _route(self, request: Request, protocol: str | None) -> Response:
        if protocol == "17track":
            if request.method != "POST":
                return Response(405, b"405 Method Not Allowed\n", headers=(("Allow", "POST"),))
            endpoint = request.path[len(PATH_17TRACK) + 1:]
            if endpoint not in ENDPOINTS:
                return Response(404, b"404 Not Found\n")
            reply: Reply = self.track17.handle(endpoint, request.header("17token"), request.body)
            return Response(reply.status, reply.body, reply.content_type, reply.headers)
        if protocol == "ems":
            if request.method not in ("GET", "HEAD"):
                return Response(405, b"405 Method Not Allowed\n", headers=(("Allow", "GET"),))
            return self._ems(request)
        if request.path == "/" and request.method in ("GET", "HEAD"):
            text = (f"emstui simulator\n17TRACK v2.2: {self.url_17track}\n"
                    f"EMS tracker: {self.url_ems}?language=EN&itemId=NUMBER\n")
            return Response(200, text.encode())
        return Response(404, b"404 Not Found\n")

    def _ems(self, request: Request) -> Response:
        if "Mozilla/" not in (request.header("user-agent") or ""):
            return Response(403, emspage.forbidden_page().encode(), _HTML)
        number = (request.param("itemId") or "").strip().upper()
        if not S10_RE.match(number) or not is_valid_s10(number):
            page = emspage.error_page(emspage.INVALID_INPUT)
        elif not is_ems(number):
            page = emspage.not_ems_page(number)
        else:
            page = emspage.events_page(number,
                                       self.journeys.visible_events(number, self.sim_now()))
        return Response(200, page.encode("utf-8"), _HTML)
