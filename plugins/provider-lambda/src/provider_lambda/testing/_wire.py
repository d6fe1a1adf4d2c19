"""The emulator's wire format: routes and the error envelope."""

from __future__ import annotations

import json
import re
from typing import Any

from provider_core.testing.kit import Reply

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


def error_reply(status: int, code: str, message: str, suggestion: str | None = None) -> Reply:
    return Reply.json(status, error_body(code, message, suggestion))


def operation_route(operation: str) -> tuple[str, str]:
    """The method and full-path regular expression of a spec operation, for matching faults to it."""
    for method, pattern, name in ROUTES:
        if name == operation:
            return method, re.escape(PREFIX) + pattern.pattern
    raise ValueError(f"the emulator has no operation {operation!r}")


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
