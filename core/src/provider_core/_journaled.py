"""Spawn and terminate through the journal: the intent first, then the call, then the outcome.

The handle calls `journaled_spawn` / `journaled_terminate` when a journal is configured. Per key:
1. a key is minted once when the caller gave none, before the first attempt, and reused by every retry;
   it reaches the provider as `idempotency_key` only when the provider declares `idempotent_spawn`, and
   always reaches the instance's `provider-core:idempotency-key` tag (see `spawn_key_tag`);
2. the key's lease is taken in the journal, so one process of all those sharing it spawns at a time;
3. a key already bound to an instance returns that instance, terminated or not, and creates nothing;
4. after an earlier attempt whose outcome is unknown (a crash, an UNAVAILABLE) the instance is looked up
   by its key tag before anything is created (a provider handed the key does that itself);
5. the outcome is written; CREATED binds the key to the instance for good.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol

import attrs

from provider_core._capabilities import Capabilities
from provider_core._errors import ErrorCode, ProviderError
from provider_core._journal import (
    LEASE_SECONDS,
    Journal,
    Kind,
    State,
    holder_name,
    key_digest,
    mint_key,
    options_digest,
)
from provider_core._retry import RetryPolicy, retry
from provider_core._spawnkey import key_in_scope
from provider_core._types import (
    IDEMPOTENCY_TAG,
    MANAGED_TAG,
    InstanceStatus,
    ListFilter,
    ProviderInstance,
    SpawnOptions,
)

JournalSource = Callable[[], Journal]
# Outcomes that prove nothing was created; any other failure may have created the instance.
_NOTHING_CREATED = frozenset(
    {
        ErrorCode.INVALID_SPEC,
        ErrorCode.AUTH_ERROR,
        ErrorCode.QUOTA_EXCEEDED,
        ErrorCode.CAPACITY_ERROR,
        ErrorCode.RATE_LIMIT_ERROR,
        ErrorCode.NOT_FOUND,
    }
)


class JournaledHandle(Protocol):
    """What the journal's paths use of a ProviderHandle (a protocol: _handle imports this module)."""

    name: str
    retry_policy: RetryPolicy | None

    @property
    def capabilities(self) -> Capabilities: ...

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]: ...

    def get_instance(self, provider_id: str) -> ProviderInstance | None: ...

    def terminate(self, provider_id: str) -> None: ...

    def _attempt(self, hook: str, kwargs: dict[str, Any]) -> Any: ...

    def _invoke(self, hook: str, **kwargs: Any) -> Any: ...


def find_by_key(handle: JournaledHandle, digest: str) -> list[ProviderInstance]:
    """Every managed instance whose key tag has this digest, oldest first (terminated ones too)."""
    found = [
        i
        for i in handle.list_instances()
        if IDEMPOTENCY_TAG in i.tags and key_digest(handle.name, i.tags[IDEMPOTENCY_TAG]) == digest
    ]
    return sorted(found, key=lambda i: (i.created_at is None, i.created_at or 0, i.id))


def journaled_spawn(handle: JournaledHandle, journal: Journal, options: SpawnOptions) -> ProviderInstance:
    key = options.idempotency_key or mint_key()
    # Only a provider that declares idempotent_spawn is handed the key; for others the journal and the
    # key tag carry it (a caller's key included, so the key works on every provider).
    wanted = key if handle.capabilities.idempotent_spawn else None
    if options.idempotency_key != wanted:
        options = attrs.evolve(options, idempotency_key=wanted)
    digest = key_digest(handle.name, key)
    holder = holder_name()
    with lease(journal, handle.name, digest, holder):
        bound = journal.bound(handle.name, digest)
        if bound is not None:
            return _bound_instance(handle, bound, key)
        # An earlier attempt that never finished (a crash, an unknown outcome) may have created it.
        interrupted = [i for i in journal.unfinished(handle.name) if i.key_digest == digest]
        intent = journal.begin(
            Kind.SPAWN, handle.name, holder, key_digest=digest, options_digest=options_digest(options)
        )
        attempts = itertools.count()

        def attempt() -> ProviderInstance:
            # A provider handed the key finds its own earlier instance; for others the core looks.
            if (next(attempts) > 0 or interrupted) and wanted is None:
                existing = find_by_key(handle, digest)
                if existing:
                    return existing[0]
            with key_in_scope(key):
                return handle._attempt("spawn", {"options": options})  # type: ignore[no-any-return]

        try:
            instance = attempt() if handle.retry_policy is None else retry(attempt, handle.retry_policy)
        except ProviderError as exc:
            state = State.FAILED if exc.code in _NOTHING_CREATED else State.UNCERTAIN
            journal.finish(intent, state, code=str(exc.code))
            raise
        # Anything else (KeyboardInterrupt, a crash) leaves the intent REQUESTED for recover() to settle.
        journal.finish(intent, State.CREATED, instance_id=instance.id)
        for earlier in interrupted:
            journal.finish(earlier.id, State.CREATED, instance_id=instance.id, code="settled by a retry")
        return instance


def journaled_terminate(handle: JournaledHandle, journal: Journal, provider_id: str) -> None:
    intent = journal.begin(Kind.TERMINATE, handle.name, holder_name(), instance_id=provider_id)
    try:
        handle._invoke("terminate", provider_id=provider_id)
    except ProviderError as exc:
        journal.finish(intent, State.UNCERTAIN, code=str(exc.code))
        raise
    journal.finish(intent, State.CONFIRMED)


@contextmanager
def lease(
    journal: Journal,
    provider: str,
    digest: str,
    holder: str,
    *,
    seconds: float = LEASE_SECONDS,
    wait: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[None]:
    """Hold the key's lease; waits for a live holder up to `wait` (default: the lease's length)."""
    deadline = time.monotonic() + (seconds if wait is None else wait)
    pause = 0.01
    while (other := journal.try_lease(provider, digest, holder, seconds)) is not None:
        if time.monotonic() + pause > deadline:
            raise ProviderError(
                ErrorCode.UNAVAILABLE,
                f"another process ({other.split(':')[0]}) is spawning with this idempotency key",
                provider=provider,
            )
        sleep(pause)
        pause = min(pause * 2, 0.5)
    try:
        yield
    finally:
        journal.release(provider, digest, holder)


def _bound_instance(handle: JournaledHandle, instance_id: str, key: str) -> ProviderInstance:
    """The key rule: the instance the key was first bound to, as terminated when the provider forgot it."""
    found = handle.get_instance(instance_id)
    if found is not None:
        return found
    return ProviderInstance(
        id=instance_id,
        status=InstanceStatus.TERMINATED,
        provider=handle.name,
        tags={MANAGED_TAG: "true", IDEMPOTENCY_TAG: key},
    )


# -- request budgets shared through the journal --------------------------------------------------------

_BUILD_JOURNAL: ContextVar[JournalSource | None] = ContextVar("provider_core_build_journal", default=None)


@contextmanager
def building_with(source: JournalSource | None) -> Iterator[None]:
    """While a provider is built, request_budget() can reach the registry's journal."""
    token = _BUILD_JOURNAL.set(source)
    try:
        yield
    finally:
        _BUILD_JOURNAL.reset(token)


class SharedBudget:
    """Request slots shared by every process using one journal: at most one request per bucket's
    interval across all of them. `acquire(*buckets)` waits for a slot in each and returns the seconds
    waited, like a provider's own in-process limiter, so it can stand in for one."""

    def __init__(
        self,
        journal: Journal,
        account: str,
        intervals: dict[str, float],
        *,
        max_wait: float,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.intervals = dict(intervals)
        self._journal = journal
        self._account = account
        self._max_wait = max_wait
        self._sleep = sleep

    def acquire(self, *buckets: str) -> float:
        waited = 0.0
        for bucket in buckets:
            wait = self._journal.reserve(f"{self._account}:{bucket}", self.intervals[bucket], self._max_wait)
            if wait is None:
                raise ProviderError(
                    ErrorCode.RATE_LIMIT_ERROR,
                    f"shared request budget: no {bucket} slot within {self._max_wait:g}s",
                    provider=self._account.split(":")[0],
                    retry_after=self._max_wait,
                )
            if wait > 0:
                self._sleep(wait)
            waited += wait
        return waited

    @contextmanager
    def slot(self, *buckets: str) -> Iterator[float]:
        """acquire() as a with block around the call, as a provider's own limiter may offer it. The
        shared slots count from when a call left: answers are not shared between processes."""
        yield self.acquire(*buckets)


def request_budget(
    provider: str, account: str | None, intervals: dict[str, float], *, max_wait: float = 60.0
) -> SharedBudget | None:
    """For a provider's __init__: a SharedBudget when the registry has a journal, else None.

    account identifies the budget's owner (an API key: only its digest is stored); processes that
    share a journal and an account share the budget.
    """
    source = _BUILD_JOURNAL.get()
    if source is None:
        return None
    owner = f"{provider}:{key_digest(provider, account or '')[:16]}"
    return SharedBudget(source(), owner, intervals, max_wait=max_wait)
