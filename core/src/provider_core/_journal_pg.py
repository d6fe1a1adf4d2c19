"""The journal in PostgreSQL (psycopg 3, the `postgres` extra): for control planes on several hosts."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

from provider_core._errors import ErrorCode, ProviderError
from provider_core._journal import JOURNAL, journal_error
from provider_core._journal_sql import Execute, SQLJournal

# Any fixed number: the advisory lock under which one process at a time migrates the schema.
_SCHEMA_LOCK = 0x70726F76


class PostgresJournal(SQLJournal):
    """One connection per journal, used one transaction at a time; leases and request slots are single
    conditional statements, so PostgreSQL's row locks serialise them across hosts."""

    _ID = "BIGSERIAL PRIMARY KEY"
    _GREATEST = "GREATEST"
    _PARAM = "%s"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise ProviderError(
                ErrorCode.INVALID_SPEC,
                "a PostgreSQL journal needs psycopg: pip install 'provider-core[postgres]'",
                provider=JOURNAL,
            ) from None
        self._psycopg = psycopg
        parts = urlsplit(url)
        # The URL may carry a password: kept out of repr, and replaced in any message a driver writes.
        self._hide = {parts.password or "": "***", url: self._shown(url)}
        self._where = self._shown(url)
        self._lock = threading.Lock()
        try:
            self._conn: Any = psycopg.connect(url, autocommit=True, connect_timeout=10)
        except psycopg.Error as exc:
            raise journal_error(exc, hide=self._hide) from None
        self.migrate()

    @staticmethod
    def _shown(url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or "local socket"
        return f"postgresql://{host}{f':{parts.port}' if parts.port else ''}{parts.path}"

    def __repr__(self) -> str:
        return f"<PostgresJournal {self._where}>"

    def _lock_schema(self, execute: Execute) -> None:
        execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))

    @contextmanager
    def _transaction(self) -> Iterator[Execute]:
        with self._lock:
            try:
                with self._conn.transaction(), self._conn.cursor() as cursor:
                    yield cursor.execute
            except self._psycopg.Error as exc:
                raise journal_error(exc, hide=self._hide) from None

    def close(self) -> None:
        with self._lock:
            self._conn.close()
