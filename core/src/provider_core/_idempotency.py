"""Idempotent spawn for APIs without a server-side client token (tag the key, then look it up)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from provider_core._errors import ErrorCode, ProviderError
from provider_core._types import IDEMPOTENCY_TAG, ProviderInstance

T = TypeVar("T")
I = TypeVar("I", bound=ProviderInstance)  # noqa: E741 - the usual name for an instance type


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

    @classmethod
    def over(cls, listing: Callable[[], Iterable[I]]) -> TagAndList[I]:
        """Look a key up in listing() (every instance the provider can see): the first managed instance
        carrying the key's tag, terminated ones included, since a key is bound to its first instance for
        good. After an unknown outcome a failing lookup is not raised: the creation's own error is, and the
        caller's retry looks the key up first."""

        def find(key: str) -> I | None:
            return next(
                (i for i in listing() if i.managed and i.tags.get(IDEMPOTENCY_TAG) == key),
                None,
            )

        def recover(key: str) -> I | None:
            try:
                return find(key)
            except ProviderError:
                return None

        return TagAndList(find, recover)

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
