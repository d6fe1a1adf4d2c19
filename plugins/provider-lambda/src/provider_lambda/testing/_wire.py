"""The emulator's wire format: routes, the error envelope, injected faults and replies."""

from __future__ import annotations

import json
import re
from typing import Any

from attrs import define, field

# Spec operationIds, by method and path below /api/v1 ({id} is one path segment).
ROUTES: tuple[tuple[str, re.Pattern[str], str], ...] = tuple(
    (method, re.compile(pattern), operation)
    for method, pattern, operation in (
        ("GET", r"/instances", "listInstances"),
        ("GET", r"/instances/([^/]+)", "getInstance"),
        ("GET", r"/instance-types", "listInstanceTypes"),
        ("POST", r"/instance-operations/launch", "launchInstance"),
        ("POST", r"/instance-operations/terminate", "terminateInstance"),
        ("GET", r"/ssh-keys", "listSSHKeys"),
        ("POST", r"/ssh-keys", "addSSHKey"),
        ("DELETE", r"/ssh-keys/([^/]+)", "deleteSSHKey"),
    )
)
PREFIX = "/api/v1"


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, suggestion: str | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.suggestion = status, code, message, suggestion


@define
class Fault:
    """An injected answer for the next `times` matching requests (operation None matches any)."""

    status: int
    code: str | None = "global/internal-error"
    operation: str | None = None
    times: int = 1
    # Matching requests let through before the fault starts answering.
    after: int = 0
    retry_after: str | None = None
    # Sent as is instead of a JSON error envelope.
    raw_body: bytes | None = None
    # The request takes effect first and only then fails: the client cannot know it happened.
    apply_first: bool = False
    delay: float = 0.0


@define
class Reply:
    status: int
    body: bytes
    headers: dict[str, str] = field(factory=dict)
    delay: float = 0.0
    # A deliberately malformed answer (Fault.raw_body): not meant to follow the spec.
    off_spec: bool = False


def error_body(code: str, message: str, suggestion: str | None) -> dict[str, Any]:
    error: dict[str, str] = {"code": code, "message": message}
    if suggestion is not None:
        error["suggestion"] = suggestion
    return {"error": error}


def route(method: str, path: str) -> tuple[str, str | None] | None:
    """The spec operationId and path argument for a request, or None when the API has no such route."""
    if not path.startswith(PREFIX + "/"):
        return None
    rest = path[len(PREFIX) :]
    for route_method, pattern, operation in ROUTES:
        found = pattern.fullmatch(rest)
        if found and method == route_method:
            return operation, found.group(1) if found.groups() else None
    return None


def fault_reply(fault: Fault) -> Reply:
    headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
    if fault.raw_body is not None:
        content = {"Content-Type": "text/html"}
        return Reply(fault.status, fault.raw_body, {**headers, **content}, fault.delay, off_spec=True)
    body = error_body(fault.code or "global/internal-error", "Injected failure.", "Try again later.")
    return Reply(fault.status, json.dumps(body).encode(), headers, fault.delay)


def require(condition: bool, message: str) -> None:
    if not condition:
        raise ApiError(400, "global/invalid-parameters", f"Invalid request data: {message}.")


def json_object(body: bytes) -> dict[str, Any]:
    try:
        parsed = json.loads(body or b"null")
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise ApiError(
            400, "global/invalid-parameters", "Invalid request data: the body must be a JSON object."
        )
    return parsed
