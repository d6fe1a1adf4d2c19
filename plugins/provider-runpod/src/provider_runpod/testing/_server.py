"""The emulator over real HTTP on loopback: REST v2 under /v2, GraphQL at /graphql, with fault knobs."""

from __future__ import annotations

import contextlib
import json
import math
import re
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, NamedTuple
from urllib.parse import unquote, urlsplit

from provider_runpod.testing._checks import Problem
from provider_runpod.testing._graphql import GraphQLError, parse, project
from provider_runpod.testing._state import Account

_POD = re.compile(r"^/v2/pods/([^/]+)$")
_ACTION = re.compile(r"^/v2/pods/([^/]+)/action$")


class Exchange(NamedTuple):
    """One request and its answer, recorded for the tests (the API key is masked)."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    status: int
    response_headers: dict[str, str]
    response_content_type: str | None
    response_body: bytes


class _Fault(NamedTuple):
    status: int
    raw: bytes | None  # a non-JSON body, when set


class Emulator:
    """A stateful RunPod account on 127.0.0.1; start() / stop(), or use it as a context manager.

    Knobs: `account.capacity[gpu] = n`, `set_rate_limit(quota, window)`, `fail_next(n, status, raw)`,
    `create_then_fail(n)`, `api_key` (anything else is a bad key), `latency` (seconds per request),
    `interrupt(pod_id)` (spot interruption), `add_network_volume(id, data_center)`.
    """

    def __init__(
        self, *, boot_reads: int = 1, api_key: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.account = Account(boot_reads=boot_reads)
        self.api_key = api_key or "rpa_emulator_" + secrets.token_hex(12)
        self.latency = 0.0
        self.exchanges: list[Exchange] = []
        self._clock = clock
        self._lock = threading.Lock()
        self._faults: list[_Fault] = []
        self._create_failures = 0
        self._rate: tuple[int, float] | None = None
        self._window_start = 0.0
        self._window_count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._connections: set[socket.socket] = set()

    # -- lifecycle ---------------------------------------------------------------------------------

    @property
    def root(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def settings(self) -> dict[str, str]:
        """What RunPodProvider needs to talk to this emulator."""
        return {"api_key": self.api_key, "base_url": f"{self.root}/v2", "graphql_url": f"{self.root}/graphql"}

    def start(self) -> Emulator:
        handler = type("Handler", (_Handler,), {"emulator": self})
        self._server = _QuietServer(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.02},
            name="runpod-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is None:
            return
        self._server.shutdown()
        with self._lock:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):  # already closed by the client
                    connection.shutdown(socket.SHUT_RDWR)
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server, self._thread = None, None

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- knobs -------------------------------------------------------------------------------------

    def set_rate_limit(self, quota: int | None, window: float = 60.0) -> None:
        """Allow quota requests per window (a "minute"-style window); None lifts the limit."""
        with self._lock:
            self._rate = (quota, window) if quota is not None else None
            self._window_start, self._window_count = self._clock(), 0

    def fail_next(self, count: int = 1, status: int = 500, raw: bytes | None = None) -> None:
        """The next count requests answer status (problem+json, or raw bytes as text/html)."""
        with self._lock:
            self._faults += [_Fault(status, raw)] * count

    def create_then_fail(self, count: int = 1) -> None:
        """The next count creates (REST or spot) create the pod, then answer 500: an unknown outcome."""
        with self._lock:
            self._create_failures += count

    def interrupt(self, pod_id: str) -> None:
        self.account.interrupt(pod_id)

    def add_network_volume(self, volume_id: str, data_center: str) -> None:
        with self.account.lock:
            self.account.volumes[volume_id] = data_center

    # -- dispatch ----------------------------------------------------------------------------------

    def handle(
        self, method: str, target: str, headers: Any, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        if self.latency:
            time.sleep(self.latency)
        url = urlsplit(target)
        path = url.path  # routed still encoded, as real servers do; ids are decoded after matching
        graphql = path == "/graphql"
        status, payload, extra = self._route(method, path, headers, body, graphql)
        if isinstance(payload, bytes):
            content_type, raw = "text/html", payload
        elif payload is None:
            content_type, raw = None, b""
        else:
            problem = not graphql and status >= 400
            content_type = "application/problem+json" if problem else "application/json"
            raw = json.dumps(payload).encode()
        out = dict(extra)
        if content_type:
            out["Content-Type"] = content_type
        with self._lock:
            self.exchanges.append(
                Exchange(
                    method,
                    path,
                    url.query,
                    {k: "Bearer ***" if k.lower() == "authorization" else v for k, v in headers.items()},
                    body,
                    status,
                    out,
                    content_type,
                    raw,
                )
            )
        return status, out, raw

    def _route(
        self, method: str, path: str, headers: Any, body: bytes, graphql: bool
    ) -> tuple[int, Any, dict[str, str]]:
        if headers.get("Authorization") != f"Bearer {self.api_key}":
            if graphql:
                error = {"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}
                return 401, {"errors": [error]}, {}
            detail = "missing bearer token" if "Authorization" not in headers else "invalid api key"
            return *Problem(401, detail).result(), {}
        limited, rate_headers = self._rate_check()
        if limited is not None:
            return limited, Problem(429, "rate limit exceeded for the minute window").body(), rate_headers
        with self._lock:
            fault = self._faults.pop(0) if self._faults else None
        if fault is not None:
            payload = fault.raw if fault.raw is not None else Problem(fault.status, "upstream failure").body()
            return fault.status, payload, rate_headers
        try:
            data = json.loads(body) if body else None
        except ValueError:
            return *Problem(400, "request body is not valid JSON").result(), rate_headers
        status, payload = self._dispatch(method, path, data, graphql)
        created = status in (200, 201) and not (isinstance(payload, dict) and payload.get("errors"))
        if created and self._is_create(method, path, data, graphql):
            with self._lock:
                failing, self._create_failures = self._create_failures > 0, max(self._create_failures - 1, 0)
            if failing:
                return *Problem(500, "internal error after the pod was created").result(), rate_headers
        return status, payload, rate_headers

    def _is_create(self, method: str, path: str, data: Any, graphql: bool) -> bool:
        if graphql:
            return isinstance(data, dict) and "podRentInterruptable" in str(data.get("query", ""))
        return method == "POST" and path == "/v2/pods"

    def _dispatch(self, method: str, path: str, data: Any, graphql: bool) -> tuple[int, Any]:
        account = self.account
        if graphql and method == "POST":
            return self._graphql(data)
        if path == "/v2/pods" and method == "GET":
            return account.list_pods()
        if path == "/v2/pods" and method == "POST":
            return account.create_pod(data)
        if match := _ACTION.match(path):
            if method == "POST":
                return account.pod_action(unquote(match.group(1)), data)
            return Problem(405, "The requested method is not allowed for this path.").result()
        if match := _POD.match(path):
            if method == "GET":
                return account.get_pod(unquote(match.group(1)))
            if method == "DELETE":
                return account.delete_pod(unquote(match.group(1)))
            return Problem(405, "The requested method is not allowed for this path.").result()
        return Problem(404, "no such endpoint in the emulator").result()

    def _graphql(self, data: Any) -> tuple[int, Any]:
        if not isinstance(data, dict) or not isinstance(data.get("query"), str):
            return 400, {
                "errors": [{"message": "POST body must carry a query", "extensions": {"code": "BAD_REQUEST"}}]
            }
        variables = data.get("variables") or {}
        try:
            operation = parse(data["query"], variables)
        except GraphQLError as exc:
            return 400, {"errors": [{"message": exc.message, "extensions": {"code": exc.code}}]}
        result: dict[str, Any] = {}
        for field in operation.fields:
            try:
                result[field.name] = project(
                    self._resolve(field.name, field.args, field.selections), field.selections
                )
            except GraphQLError as exc:
                error: dict[str, Any] = {"message": exc.message, "path": [field.name]}
                if exc.code:
                    error["extensions"] = {"code": exc.code}
                result[field.name] = None
                return 200, {"errors": [error], "data": result}
        return 200, {"data": result}

    def _resolve(self, name: str, args: dict[str, Any], selections: tuple[Any, ...]) -> Any:
        given = args.get("input") or {}
        if name == "podRentInterruptable":
            return self.account.rent_spot(given)
        if name == "pod":
            return self.account.graphql_pod(str(given.get("podId")))
        if name == "podTerminate":
            self.account.terminate_spot(str(given.get("podId")))
            return None
        lowest = next((f.args.get("input") or {} for f in selections if f.name == "lowestPrice"), {})
        return self.account.gpu_types(given.get("id"), lowest)

    def _rate_check(self) -> tuple[int | None, dict[str, str]]:
        with self._lock:
            if self._rate is None:
                return None, {}
            quota, window = self._rate
            now = self._clock()
            if now - self._window_start >= window:
                self._window_start, self._window_count = now, 0
            reset = max(1, math.ceil(self._window_start + window - now))
            headers = {"RateLimit-Policy": f'"minute";q={quota};w={int(window)}'}
            if self._window_count >= quota:
                headers["RateLimit"] = f'"minute";r=0;t={reset}'
                headers["Retry-After"] = str(reset)
                return 429, headers
            self._window_count += 1
            headers["RateLimit"] = f'"minute";r={quota - self._window_count};t={reset}'
            return None, headers


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hung up (a timeout in a test) is not an emulator failure."""
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    emulator: Emulator
    protocol_version = "HTTP/1.1"
    # Headers and body leave in one segment: written apart, they meet delayed ACKs (40 ms a request).
    wbufsize = -1
    disable_nagle_algorithm = True

    def setup(self) -> None:
        super().setup()
        with self.emulator._lock:
            self.emulator._connections.add(self.connection)

    def finish(self) -> None:
        with self.emulator._lock:
            self.emulator._connections.discard(self.connection)
        super().finish()

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, headers, raw = self.emulator.handle(self.command, self.path, self.headers, body)
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        if raw:
            self.wfile.write(raw)

    do_GET = do_POST = do_DELETE = do_PATCH = do_PUT = _serve

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would only clutter test output."""
