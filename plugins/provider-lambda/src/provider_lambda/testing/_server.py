"""LambdaEmulator: the account of _state.py as a WSGI app on the provider_core testing kit."""

from __future__ import annotations

import json
from typing import Any

from provider_core.testing.kit import EmulatorApp, Fault, Reply, Request
from provider_lambda.testing._state import EmulatorState
from provider_lambda.testing._wire import (
    PREFIX,
    ApiError,
    error_body,
    error_reply,
    operation_route,
    route,
)

INTERNAL_ERROR = "global/internal-error"


class LambdaEmulator(EmulatorState, EmulatorApp):
    """A stateful stand-in for the Lambda Cloud API v1; serve it with `with LambdaEmulator() as emu:`
    (or run it in-process behind httpx.WSGITransport)."""

    server_name = "lambda-emulator"

    @property
    def base_url(self) -> str:
        return self.url + PREFIX

    # -- faults --------------------------------------------------------------------------------

    def fail(
        self,
        status: int = 500,
        code: str = INTERNAL_ERROR,
        *,
        operation: str | None = None,
        raw_body: bytes | None = None,
        retry_after: str | None = None,
        **how: Any,
    ) -> None:
        """The next matching request (`operation` is a spec operationId; None matches any) answers
        status with Lambda's error envelope, or raw_body as an HTML page when given. `how` takes
        the kit Fault's times, after, delay, drop and after_effect."""
        headers = {"Retry-After": retry_after} if retry_after is not None else {}
        if raw_body is None:
            body = json.dumps(error_body(code, "Injected failure.", "Try again later.")).encode()
            headers["Content-Type"] = "application/json"
        else:
            body, headers["Content-Type"] = raw_body, "text/html"
        method, path = operation_route(operation) if operation is not None else (None, None)
        self.inject(Fault(status, body, headers, method, path, malformed=raw_body is not None, **how))

    def throttle(self, retry_after: str | None = "2", **how: Any) -> None:
        self.fail(429, "global/too-many-requests", retry_after=retry_after, **how)

    def create_then_fail(self, status: int = 500, *, delay: float = 0.0) -> None:
        """The next launch creates its instance, then answers `status` (after `delay` seconds)."""
        self.fail(status, operation="launchInstance", after_effect=True, delay=delay)

    # -- routes --------------------------------------------------------------------------------

    def admit(self, request: Request) -> Reply | None:
        with self._lock:
            self.requests += 1
            matched = route(request.method, request.path)
            try:
                if matched is None:
                    raise ApiError(
                        404, "global/object-does-not-exist", f"no route for {request.method} {request.path}"
                    )
                self.authenticate(request.header("Authorization"))
            except ApiError as exc:
                return error_reply(exc.status, exc.code, exc.message, exc.suggestion)
            wait = self.pace(matched[0])
        if wait:
            limited = error_reply(429, "global/too-many-requests", "Too many requests.", "Slow down.")
            return Reply(429, limited.body, {**limited.headers, "Retry-After": str(wait)})
        return None

    def respond(self, request: Request) -> Reply:
        matched = route(request.method, request.path)
        assert matched is not None  # admit answered every request without a route
        with self._lock:
            try:
                data = self.dispatch(*matched, request.body)
            except ApiError as exc:
                return error_reply(exc.status, exc.code, exc.message, exc.suggestion)
        return Reply.json(200, {"data": data})
