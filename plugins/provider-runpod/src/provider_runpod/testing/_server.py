"""The emulator as a WSGI app on the provider_core testing kit: REST v2 under /v2, GraphQL at /graphql."""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from provider_core.testing.kit import EmulatorApp, Fault, Reply, Request
from provider_runpod.testing._checks import Problem
from provider_runpod.testing._graphql import answer
from provider_runpod.testing._state import Account

_POD = re.compile(r"^/v2/pods/([^/]+)$")
_ACTION = re.compile(r"^/v2/pods/([^/]+)/action$")
GRAPHQL = "/graphql"


def _problem(problem: Problem) -> Reply:
    return Reply.json(problem.status, problem.body(), content_type="application/problem+json")


def _is_create(request: Request) -> bool:
    if request.method != "POST":
        return False
    return request.path == "/v2/pods" or (request.path == GRAPHQL and b"podRentInterruptable" in request.body)


class Emulator(EmulatorApp):
    """A stateful RunPod account; serve it with start() / stop() or as a context manager.

    Knobs: `account.capacity[gpu] = n`, `set_rate_limit(quota, window)`, `fail_next(n, status, raw)`,
    `create_then_fail(n)`, `api_key` (anything else is a bad key), `latency` (seconds per request),
    `interrupt(pod_id)` (spot interruption), `add_network_volume(id, data_center)`, and the kit's
    `inject(Fault(...))` for anything else.
    """

    server_name = "runpod-emulator"

    def __init__(
        self, *, boot_reads: int = 1, api_key: str | None = None, clock: Callable[[], float] = time.monotonic
    ) -> None:
        super().__init__()
        self.account = Account(boot_reads=boot_reads)
        self.api_key = api_key or "rpa_emulator_" + secrets.token_hex(12)
        self._clock = clock
        self._rate_lock = threading.Lock()
        self._rate: tuple[int, float] | None = None
        self._window_start = 0.0
        self._window_count = 0

    @property
    def root(self) -> str:
        return self.url

    @property
    def settings(self) -> dict[str, str]:
        """What RunPodProvider needs to talk to this emulator."""
        return {"api_key": self.api_key, "base_url": f"{self.root}/v2", "graphql_url": self.root + GRAPHQL}

    # -- knobs -------------------------------------------------------------------------------------

    def set_rate_limit(self, quota: int | None, window: float = 60.0) -> None:
        """Allow quota requests per window (a "minute"-style window); None lifts the limit."""
        with self._rate_lock:
            self._rate = (quota, window) if quota is not None else None
            self._window_start, self._window_count = self._clock(), 0

    def fail_next(self, count: int = 1, status: int = 500, raw: bytes | None = None) -> None:
        """The next count requests answer status (problem+json, or raw bytes as text/html)."""
        if raw is None:
            reply = _problem(Problem(status, "upstream failure"))
            self.inject(Fault(status, reply.body, reply.headers, times=count))
        else:
            self.inject(Fault(status, raw, {"Content-Type": "text/html"}, times=count, malformed=True))

    def create_then_fail(self, count: int = 1) -> None:
        """The next count creates (REST or spot) create the pod, then answer 500: an unknown outcome."""
        reply = _problem(Problem(500, "internal error after the pod was created"))
        self.inject(Fault(500, reply.body, reply.headers, when=_is_create, times=count, after_effect=True))

    def interrupt(self, pod_id: str) -> None:
        self.account.interrupt(pod_id)

    def add_network_volume(self, volume_id: str, data_center: str) -> None:
        with self.account.lock:
            self.account.volumes[volume_id] = data_center

    # -- routes ------------------------------------------------------------------------------------

    def admit(self, request: Request) -> Reply | None:
        authorization = request.header("Authorization")
        if authorization != f"Bearer {self.api_key}":
            if request.path == GRAPHQL:
                error = {"message": "Unauthorized", "extensions": {"code": "UNAUTHENTICATED"}}
                return Reply.json(401, {"errors": [error]})
            detail = "missing bearer token" if authorization is None else "invalid api key"
            return _problem(Problem(401, detail))
        limited = self._rate_check(request)
        if limited:
            return _problem(Problem(429, "rate limit exceeded for the minute window"))
        return None

    def respond(self, request: Request) -> Reply:
        try:
            data = json.loads(request.body) if request.body else None
        except ValueError:
            return _problem(Problem(400, "request body is not valid JSON"))
        if request.path == GRAPHQL and request.method == "POST":
            return Reply.json(*answer(self.account, data))
        status, payload = self._rest(request.method, request.path, data)
        if payload is None:
            return Reply(status)
        if status >= 400:
            return Reply.json(status, payload, content_type="application/problem+json")
        return Reply.json(status, payload)

    def took_effect(self, request: Request, reply: Reply) -> bool:
        # GraphQL refuses inside HTTP 200: only an answer without errors changed anything.
        if request.path == GRAPHQL:
            return reply.status == 200 and "errors" not in json.loads(reply.body)
        return super().took_effect(request, reply)

    def _rest(self, method: str, path: str, data: Any) -> tuple[int, Any]:
        # Routed still encoded, as real servers do; ids are decoded after matching.
        account = self.account
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

    def _rate_check(self, request: Request) -> bool:
        """Counts the request against the window and puts the RateLimit headers on its answer;
        True when it is over the quota."""
        with self._rate_lock:
            if self._rate is None:
                return False
            quota, window = self._rate
            now = self._clock()
            if now - self._window_start >= window:
                self._window_start, self._window_count = now, 0
            reset = max(1, math.ceil(self._window_start + window - now))
            request.answer_headers["RateLimit-Policy"] = f'"minute";q={quota};w={int(window)}'
            if self._window_count >= quota:
                request.answer_headers["RateLimit"] = f'"minute";r=0;t={reset}'
                request.answer_headers["Retry-After"] = str(reset)
                return True
            self._window_count += 1
            request.answer_headers["RateLimit"] = f'"minute";r={quota - self._window_count};t={reset}'
            return False
