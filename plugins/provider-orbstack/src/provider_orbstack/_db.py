"""SQLite plumbing shared by the sim and the orbctl metadata store: one short transaction per call."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_orbstack._errors import map_error

# Long enough for a handful of processes queueing on BEGIN IMMEDIATE; short enough to surface a wedged lock.
BUSY_TIMEOUT_S = 30.0


def idempotency_key(tags: Mapping[str, str]) -> str | None:
    """The `idempotency_key` column of a new machine: the key tag of a machine provider-core manages.

    A spawn with a key finds an earlier machine by this column, so only a managed machine carrying that
    key tag can ever be returned; a machine made outside provider-core never claims a key.
    """
    return tags.get(IDEMPOTENCY_TAG) if tags.get(MANAGED_TAG) == "true" else None


def default_state_dir() -> Path:
    base = os.environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "provider-core"


class Database:
    """A file path plus a schema; every operation opens its own connection, so threads and processes mix."""

    def __init__(self, path: str | os.PathLike[str], schema: Sequence[str], version: int) -> None:
        self.path = Path(path).expanduser()
        self.version = version
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            # The sim keeps bootstrap scripts, which carry instance tokens: owner-only from the start.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            with self.write() as conn:
                if conn.execute("PRAGMA user_version").fetchone()[0] < version:
                    # executescript would commit the open transaction; statements run one by one inside it.
                    for statement in schema:
                        conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {int(version)}")
        except Exception as exc:
            raise map_error(exc) from exc

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_S, isolation_level=None)
        conn.row_factory = sqlite3.Row
        # WAL lets readers in other processes proceed while one writer holds the lock.
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        return conn

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A serialised read-modify-write: BEGIN IMMEDIATE takes the write lock before the first read."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    @contextmanager
    def read(self) -> Iterator[sqlite3.Connection]:
        conn = self._connect()
        try:
            yield conn
        finally:
            conn.close()

    def schema_version(self) -> int:
        with self.read() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])
