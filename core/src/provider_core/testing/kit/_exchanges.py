"""The exchange log: every request an emulator received and what it answered, secrets masked."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

# Headers that carry credentials; their values never reach the log.
SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key", "x-auth-token"}
)
MASK = "***"


@dataclass(frozen=True)
class Exchange:
    """One request and the answer sent (status None when no answer was sent: dropped or stopped)."""

    method: str
    # The request target as sent: path and query, still percent-encoded.
    target: str
    headers: Mapping[str, str]
    body: bytes
    status: int | None
    response_headers: Mapping[str, str]
    response_body: bytes
    # The answer was deliberately off the API's contract (a malformed fault a test asked for).
    off_spec: bool = False

    @property
    def path(self) -> str:
        return self.target.partition("?")[0]

    @property
    def query(self) -> str:
        return self.target.partition("?")[2]

    @property
    def response_content_type(self) -> str | None:
        return next((v for k, v in self.response_headers.items() if k.lower() == "content-type"), None)


def redact(headers: Mapping[str, str]) -> dict[str, str]:
    """headers with every credential masked; an Authorization scheme is kept ("Bearer ***")."""
    masked = {}
    for name, value in headers.items():
        if name.lower() in SECRET_HEADERS:
            scheme, _, credential = value.partition(" ")
            value = f"{scheme} {MASK}" if credential and name.lower().endswith("authorization") else MASK
        masked[name] = value
    return masked


class ExchangeLog:
    """Exchanges in the order they completed, with credentials redacted on the way in. Thread-safe."""

    def __init__(self) -> None:
        self._exchanges: list[Exchange] = []
        self._lock = threading.Lock()

    def record(self, exchange: Exchange) -> Exchange:
        """Append exchange with its credential headers masked; returns what was stored."""
        stored = dataclasses.replace(
            exchange,
            headers=redact(exchange.headers),
            response_headers=redact(exchange.response_headers),
        )
        with self._lock:
            self._exchanges.append(stored)
        return stored

    def snapshot(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def clear(self) -> None:
        with self._lock:
            self._exchanges.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._exchanges)

    def __iter__(self) -> Iterator[Exchange]:
        return iter(self.snapshot())
