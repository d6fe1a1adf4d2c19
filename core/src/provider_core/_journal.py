"""The spawn journal: the interface both backends implement, and what is stored in it.

A journal is a write-ahead log of spawns and terminates shared by every process of a control plane (one
SQLite file on one host, or one PostgreSQL database for several). It never holds a secret: idempotency keys
are stored as digests, spawn options as one digest, and the URL of a PostgreSQL journal stays out of every
repr and message. See "The spawn journal" in core/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Mapping
from enum import StrEnum
from typing import Any

from attrs import frozen

from provider_core._errors import ErrorCode, ProviderError
from provider_core._types import SpawnOptions

JOURNAL = "journal"  # the `provider` of errors the journal itself raises
# Longer than any call's deadline (the default retry policy gives up after 120 s), so a live holder is
# never overtaken; a holder on this host whose process is gone is overtaken at once.
LEASE_SECONDS = 900.0
# Finished intents are kept this long (for audit and `providers recover`), then pruned.
RETENTION_SECONDS = 7 * 24 * 3600.0


class State(StrEnum):
    REQUESTED = "requested"  # written before the provider is called: the outcome is not known yet
    UNCERTAIN = "uncertain"  # the call failed in a way that may have created the machine (UNAVAILABLE)
    CREATED = "created"
    FAILED = "failed"  # the provider answered with an error that created nothing
    ABANDONED = "abandoned"  # recovery found no machine for an interrupted spawn
    TERMINATED = "terminated"  # recovery terminated what an interrupted spawn created
    CONFIRMED = "confirmed"  # a terminate finished


UNFINISHED = (State.REQUESTED, State.UNCERTAIN)


class Kind(StrEnum):
    SPAWN = "spawn"
    TERMINATE = "terminate"


@frozen
class Intent:
    """One journal row: a spawn or a terminate, what is known of its outcome, and who wrote it."""

    id: int
    kind: Kind
    provider: str
    state: State
    key_digest: str | None
    options_digest: str | None
    instance_id: str | None
    code: str | None
    holder: str
    created_at: float
    updated_at: float


class Journal(ABC):
    """What the core needs from a backend; every method is one short transaction.

    Failures of the backend raise ProviderError(UNAVAILABLE, provider="journal"), never a driver's
    exception.
    """

    @abstractmethod
    def begin(self, kind: Kind, provider: str, holder: str, **fields: str | None) -> int:
        """Record an intent (REQUESTED) and return its id; fields: key_digest, options_digest, instance_id."""

    @abstractmethod
    def finish(
        self, intent_id: int, state: State, *, instance_id: str | None = None, code: str | None = None
    ) -> None:
        """Record an outcome; CREATED and TERMINATED also bind the intent's key to instance_id for good."""

    @abstractmethod
    def bound(self, provider: str, key_digest: str) -> str | None:
        """The instance a key was first bound to, if any."""

    @abstractmethod
    def unfinished(self, provider: str) -> list[Intent]:
        """Intents of provider still REQUESTED or UNCERTAIN, oldest first."""

    @abstractmethod
    def intents(self, provider: str | None = None) -> list[Intent]:
        """Every intent kept (for reports and tests), oldest first."""

    @abstractmethod
    def try_lease(self, provider: str, key_digest: str, holder: str, seconds: float) -> str | None:
        """Take (or renew) the lease on a key; None when taken, else the live holder's name.

        A lease is free when it has expired or its holder is a process of this host that has exited.
        """

    @abstractmethod
    def release(self, provider: str, key_digest: str, holder: str) -> None:
        """Give a lease back (only the holder's own)."""

    @abstractmethod
    def reserve(self, bucket: str, interval: float, max_wait: float) -> float | None:
        """Reserve the next request slot of a shared bucket (one per interval seconds, wall clock).

        Returns the seconds to wait before sending, or None (nothing reserved) when that is over max_wait.
        """

    @abstractmethod
    def prune(self, older_than: float) -> int:
        """Delete finished intents last updated before older_than (epoch seconds); returns how many."""

    @abstractmethod
    def schema_version(self) -> int: ...

    @abstractmethod
    def close(self) -> None: ...


# -- what is written ---------------------------------------------------------------------------------


def digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()


def key_digest(provider: str, key: str) -> str:
    """How a key is stored and matched: never the key itself (a caller's key may be meaningful)."""
    return digest("key", provider, key)


def options_digest(options: SpawnOptions) -> str:
    """One digest of what was asked for; the bootstrap (which carries a token) only by its checksum."""
    fields: dict[str, Any] = {
        "name": options.name,
        "instance_type": options.instance_type,
        "region": options.region,
        "zone": options.zone,
        "image": options.image,
        "spot": options.spot,
        "tags": dict(sorted(options.tags.items())),
        "bootstrap": options.bootstrap.checksum if options.bootstrap is not None else None,
    }
    return digest("options", json.dumps(fields, sort_keys=True, default=str))


def mint_key() -> str:
    """A key for a spawn the caller gave none: minted once, before the first attempt."""
    return f"pc-{uuid.uuid4().hex}"


HOST = socket.gethostname()


def holder_name() -> str:
    """host:pid:nonce, so a lease of a process of this host that has exited can be taken over at once."""
    return f"{HOST}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def holder_is_gone(holder: str) -> bool:
    """True when holder names a process of this host that no longer runs (other hosts: unknown, False)."""
    host, _, rest = holder.partition(":")
    pid_text = rest.partition(":")[0]
    if host != HOST or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return _is_zombie(pid)


def _is_zombie(pid: int) -> bool:
    # A killed child not yet reaped by its parent still answers kill(0); it holds nothing any more.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rpartition(")")[2].split()[0] == "Z"
    except (OSError, IndexError):
        return False


def journal_error(exc: BaseException, *, hide: Mapping[str, str] | None = None) -> ProviderError:
    """A backend failure as UNAVAILABLE; values in hide (a password) are replaced in the message."""
    message = f"journal: {type(exc).__name__}: {exc}"
    for secret, shown in (hide or {}).items():
        if secret:
            message = message.replace(secret, shown)
    return ProviderError(ErrorCode.UNAVAILABLE, message, provider=JOURNAL)


def now() -> float:
    return time.time()
