"""Idempotent spawn for APIs without a server-side client token (tag the key, then look it up)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from provider_core._errors import ErrorCode, ProviderError

T = TypeVar("T")


class TagAndList(Generic[T]):
    """Create at most one resource per idempotency key.

    Before creating, `find(key)` looks for a resource already tagged with the key. When the creation's
    outcome is unknown (an UNAVAILABLE error: timeout, 5xx, dropped connection) the resource may exist
    anyway, so `recover(key)` (default: `find`) looks again before the error is raised. Creations that
    share a key are serialised within the process, so concurrent callers cannot both miss the lookup.
    """

    def __init__(
        self,
        find: Callable[[str], T | None],
        recover: Callable[[str], T | None] | None = None,
        *,
        stripes: int = 64,
    ) -> None:
        self._find = find
        self._recover = recover or find
        self._locks = tuple(threading.Lock() for _ in range(stripes))

    def __call__(self, key: str | None, create: Callable[[], T]) -> T:
        if key is None:
            return create()
        with self._locks[hash(key) % len(self._locks)]:
            existing = self._find(key)
            if existing is not None:
                return existing
            try:
                return create()
            except ProviderError as exc:
                if exc.code is not ErrorCode.UNAVAILABLE:
                    raise
                found = self._recover(key)
                if found is None:
                    raise
                return found
