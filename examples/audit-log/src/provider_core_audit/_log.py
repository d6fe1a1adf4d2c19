"""The audit wrapper. A line records who was called and how it ended, never the arguments or the result:
options carry bootstrap scripts with instance tokens and settings carry API keys, so an allow-list of
fields is the only way to promise that no secret reaches the log."""

from __future__ import annotations

import functools
import json
import logging
import os
import threading
import time
from collections.abc import Callable, Generator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provider_core.hooks import MethodWrappers, current_attempt, observe_outcome

ENV_VAR = "PROVIDER_CORE_AUDIT_LOG"
_logger = logging.getLogger(__name__)


class AuditLog(MethodWrappers):
    """Appends `{"time", "provider", "method", "outcome", "seconds", "attempt"}` per provider call.

    `outcome` is "ok" or the call's `ErrorCode` (INTERNAL for anything that is not a `ProviderError`, as
    the core maps it). `path` (or `write`, a callable taking one line) overrides PROVIDER_CORE_AUDIT_LOG.
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        write: Callable[[str], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
    ) -> None:
        super().__init__(self._around)
        self._path = None if path is None else Path(path)
        self._write = write
        self._clock = clock
        # Lines from concurrent calls must not interleave inside one line.
        self._lock = threading.Lock()

    def provider_core_active(self) -> bool:
        """Discovery registers the published plugin only when it has somewhere to write: a wrapper that
        writes nothing would still cost every call of every provider."""
        return self._path is not None or self._write is not None or bool(os.environ.get(ENV_VAR, "").strip())

    def _around(self, provider: str, method: str, arguments: Mapping[str, Any]) -> Generator[None, Any, Any]:
        started = self._clock()
        return (
            yield from observe_outcome(
                lambda outcome: self._record(provider, method, outcome, self._clock() - started)
            )
        )

    def _record(self, provider: str, method: str, outcome: str, seconds: float) -> None:
        sink = self._sink()
        if sink is None:
            return
        line = json.dumps(
            {
                "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                "provider": provider,
                "method": method,
                "outcome": outcome,
                "seconds": round(seconds, 6),
                "attempt": current_attempt(),
            },
            separators=(",", ":"),
        )
        try:
            with self._lock:
                sink(line)
        except OSError as exc:
            # The call already happened (a spawned instance exists): failing it now would hide that
            # instance from its caller, so a log that cannot be written is reported, not raised.
            _logger.warning("audit log not written: %s", exc)

    def _sink(self) -> Callable[[str], None] | None:
        if self._write is not None:
            return self._write
        path = self._path
        if path is None:
            value = os.environ.get(ENV_VAR, "").strip()
            path = Path(value).expanduser() if value else None
        return None if path is None else functools.partial(_append, path)


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as log:
        log.write(line + "\n")
