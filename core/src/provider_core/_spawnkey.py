"""The key of the journaled spawn in progress, shared by the journal's spawn path and the contract plugin.

A provider without `idempotent_spawn` is not handed the key, but the contract plugin still writes it to the
instance's `provider-core:idempotency-key` tag, so retries and recovery can find the instance by it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from provider_core._types import SpawnOptions

_SPAWN_KEY: ContextVar[str | None] = ContextVar("provider_core_spawn_key", default=None)


def spawn_key_tag(options: SpawnOptions) -> str | None:
    """The key the contract tags a new instance with: the caller's, else the journal's for this spawn."""
    return options.idempotency_key or _SPAWN_KEY.get()


@contextmanager
def key_in_scope(key: str) -> Iterator[None]:
    token = _SPAWN_KEY.set(key)
    try:
        yield
    finally:
        _SPAWN_KEY.reset(token)
