"""EmulatorApp: a WSGI app base that applies injected faults and records every exchange.

An emulator subclasses it and writes `respond` (its routes), plus `admit` for what the real API checks
before anything can fail (credentials, rate limits). The same object runs in-process behind
`httpx.WSGITransport` or over real HTTP with `start()` / `with emulator:`.
"""

from __future__ import annotations

import http
import json
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote
from wsgiref.types import StartResponse, WSGIEnvironment

from provider_core.testing.kit._exchanges import Exchange, ExchangeLog
from provider_core.testing.kit._faults import Fault, FaultQueue
from provider_core.testing.kit._serve import RAW_URI, STOPPING, DropConnection, Server, serve


@dataclass
class Request:
    """One request as an emulator sees it. Header names are canonical ("Content-Type")."""

    method: str
    # Path and query as sent, still percent-encoded: routes match what the real server would see.
    target: str
    headers: Mapping[str, str]
    body: bytes
    # Headers every answer to this request carries, whoever answers it (set by admit: rate limits).
    answer_headers: dict[str, str] = field(default_factory=dict)

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)

    @classmethod
    def from_environ(cls, environ: WSGIEnvironment) -> Request:
        target = environ.get(RAW_URI)
        if target is None:
            # In-process (httpx.WSGITransport): rebuild the target from the decoded WSGI path.
            query = environ.get("QUERY_STRING", "")
            target = quote(environ.get("PATH_INFO", "") or "/", safe="/:@!$&'()*+,;=-._~")
            target += f"?{query}" if query else ""
        headers = {
            key[5:].replace("_", "-").title(): value
            for key, value in environ.items()
            if key.startswith("HTTP_")
        }
        for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
            if environ.get(key):
                headers[name] = environ[key]
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = environ["wsgi.input"].read(length) if length else b""
        return cls(environ["REQUEST_METHOD"], target, headers, body)


@dataclass(frozen=True)
class Reply:
    status: int
    body: bytes = b""
    headers: Mapping[str, str] = field(default_factory=dict)
    # Deliberately off the API's contract (recorded so contract checks skip it).
    off_spec: bool = False

    @classmethod
    def json(
        cls, status: int, payload: Any, *, content_type: str = "application/json", **headers: str
    ) -> Reply:
        return cls(status, json.dumps(payload).encode(), {"Content-Type": content_type, **headers})

    @classmethod
    def of(cls, fault: Fault) -> Reply:
        return cls(fault.status, fault.body, fault.headers, off_spec=fault.malformed)


class EmulatorApp:
    """Base of the emulators: a WSGI app with a fault queue, an exchange log and a latency knob."""

    # Name of the serving thread, for a test that wonders what is still running.
    server_name = "emulator"

    def __init__(self) -> None:
        self.fault_queue = FaultQueue()
        self.exchange_log = ExchangeLog()
        # Seconds added before every answer.
        self.latency = 0.0
        self._server: Server | None = None

    # -- what an emulator writes ---------------------------------------------------------------

    def admit(self, request: Request) -> Reply | None:
        """An answer that comes before any injected fault (bad credentials, rate limit), or None."""
        return None

    def respond(self, request: Request) -> Reply:
        """The emulator's routes."""
        raise NotImplementedError

    def took_effect(self, request: Request, reply: Reply) -> bool:
        """Whether the request changed something (an after-effect fault replaces only such answers)."""
        return 200 <= reply.status < 300

    # -- knobs and observations ----------------------------------------------------------------

    def inject(self, fault: Fault) -> None:
        self.fault_queue.add(fault)

    @property
    def faults(self) -> list[Fault]:
        """The injected faults not used up yet, in order."""
        return self.fault_queue.pending()

    @property
    def exchanges(self) -> list[Exchange]:
        """What was exchanged so far, in order (credentials masked)."""
        return self.exchange_log.snapshot()

    # -- serving -------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Where the emulator is served: http://127.0.0.1:<port>, without a trailing slash."""
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        return self._server.url

    def start(self) -> Self:
        if self._server is None:
            self._server = serve(self, name=self.server_name)
        return self

    def stop(self) -> None:
        """Stop serving: open connections are dropped and every thread the server started is joined."""
        server, self._server = self._server, None
        if server is not None:
            server.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # -- WSGI ----------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        request = Request.from_environ(environ)
        reply, fault = self._answer(request)
        reply = Reply(reply.status, reply.body, {**reply.headers, **request.answer_headers}, reply.off_spec)
        delay = self.latency + (fault.delay if fault is not None else 0.0)
        stopped = _interrupted(environ.get(STOPPING), delay)
        answered = not stopped and not (fault is not None and fault.drop)
        self.exchange_log.record(
            Exchange(
                request.method,
                request.target,
                request.headers,
                request.body,
                reply.status if answered else None,
                reply.headers,
                reply.body,
                reply.off_spec,
            )
        )
        if not answered:
            raise DropConnection
        start_response(f"{reply.status} {_reason(reply.status)}", list(reply.headers.items()))
        return [reply.body]

    def _answer(self, request: Request) -> tuple[Reply, Fault | None]:
        refused = self.admit(request)
        if refused is not None:
            return refused, None
        fault = self.fault_queue.take(request, after_effect=False)
        if fault is not None:
            return Reply.of(fault), fault
        reply = self.respond(request)
        if self.took_effect(request, reply):
            fault = self.fault_queue.take(request, after_effect=True)
            if fault is not None:
                return Reply.of(fault), fault
        return reply, None


def _interrupted(stopping: threading.Event | None, delay: float) -> bool:
    """Wait delay seconds; True when the server stopped meanwhile (the answer is then never sent)."""
    if delay <= 0:
        return False
    if stopping is None:  # in-process: nothing can stop the wait
        time.sleep(delay)
        return False
    return stopping.wait(delay)


def _reason(status: int) -> str:
    try:
        return http.HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
