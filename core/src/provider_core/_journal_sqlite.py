"""The journal in one SQLite file: for the processes of one host (standard library only)."""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provider_core._journal import journal_error
from provider_core._journal_sql import Execute, SQLJournal

# Writers queue for the database lock this long before the journal reports UNAVAILABLE.
BUSY_TIMEOUT_MS = 30_000


class SQLiteJournal(SQLJournal):
    """A file created 0600 (SQLite gives its -wal and -shm files the same mode); WAL, so readers and
    one writer do not block each other; every write transaction is BEGIN IMMEDIATE, taking the file's
    write lock first, which serialises leases and request slots across processes."""

    def __init__(self, path: str) -> None:
        if not path or path == "/":
            raise ValueError("a SQLite journal needs a file path: sqlite:///PATH")
        self.path = Path(path)
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created here with 0600 (never world-readable, whatever the umask); an existing file too.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
            os.chmod(self.path, 0o600)
            self._conn = sqlite3.connect(
                self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except (OSError, sqlite3.Error) as exc:
            raise journal_error(exc) from None
        self.migrate()

    def __repr__(self) -> str:
        return f"<SQLiteJournal {self.path}>"

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    yield self._conn.execute
                except BaseException:
                    self._conn.execute("ROLLBACK")
                    raise
                self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise journal_error(exc) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
