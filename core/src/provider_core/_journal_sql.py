"""The journal in SQL, written once for both backends (they differ in connection, locking and dialect).

Every operation is one short transaction; leases and request slots are single conditional statements
(INSERT ... ON CONFLICT ... WHERE, UPDATE ... WHERE ... RETURNING), atomic on both SQLite and PostgreSQL.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from typing import Any

from provider_core._journal import (
    UNFINISHED,
    Intent,
    Journal,
    Kind,
    State,
    holder_is_gone,
    now,
)

Execute = Callable[[str, Sequence[Any]], Any]  # runs one statement, returns a cursor

_COLUMNS = (
    "id, kind, provider, state, key_digest, options_digest, instance_id, code, holder, created_at, updated_at"
)
# Forward-only migrations: version N is reached by running the first N. Never edit one that shipped.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE intents (id {id}, kind TEXT NOT NULL, provider TEXT NOT NULL, state TEXT NOT NULL,"
        " key_digest TEXT, options_digest TEXT, instance_id TEXT, code TEXT, holder TEXT NOT NULL,"
        " created_at DOUBLE PRECISION NOT NULL, updated_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX intents_by_state ON intents (provider, state)",
        # key -> the first instance created with it, kept for good (the key rule in core/README.md).
        "CREATE TABLE bound_keys (provider TEXT NOT NULL, key_digest TEXT NOT NULL,"
        " instance_id TEXT NOT NULL, bound_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (provider, key_digest))",
        "CREATE TABLE leases (provider TEXT NOT NULL, key_digest TEXT NOT NULL, holder TEXT NOT NULL,"
        " expires DOUBLE PRECISION NOT NULL, PRIMARY KEY (provider, key_digest))",
    ),
    (
        # Version 2: request budgets shared by every process using the journal.
        "CREATE TABLE buckets (name TEXT PRIMARY KEY, next_free DOUBLE PRECISION NOT NULL)",
    ),
)
VERSION = len(MIGRATIONS)


class SQLJournal(Journal):
    """The queries; a backend supplies `_transaction()` and its dialect."""

    _ID = "INTEGER PRIMARY KEY"
    _GREATEST = "MAX"
    _PARAM = "?"

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Execute]:
        """A transaction that serialises writers; driver errors leave it as journal_error()."""

    def _sql(self, text: str) -> str:
        return text.replace("?", self._PARAM).replace("{greatest}", self._GREATEST)

    def _lock_schema(self, execute: Execute) -> None:
        """Hold off other processes migrating at the same time (SQLite's write lock already does)."""

    # -- schema ----------------------------------------------------------------------------------------

    def migrate(self, target: int = VERSION) -> int:
        with self._transaction() as execute:
            self._lock_schema(execute)
            execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)", ())
            row = execute("SELECT MAX(version) FROM schema_version", ()).fetchone()
            current = int(row[0]) if row is not None and row[0] is not None else 0
            for version in range(current, target):
                for statement in MIGRATIONS[version]:
                    execute(statement.format(id=self._ID), ())
                execute(self._sql("INSERT INTO schema_version (version) VALUES (?)"), (version + 1,))
            return max(current, target)

    def schema_version(self) -> int:
        with self._transaction() as execute:
            row = execute("SELECT MAX(version) FROM schema_version", ()).fetchone()
        return int(row[0]) if row is not None and row[0] is not None else 0

    # -- intents ---------------------------------------------------------------------------------------

    def begin(self, kind: Kind, provider: str, holder: str, **fields: str | None) -> int:
        stamp = now()
        with self._transaction() as execute:
            row = execute(
                self._sql(
                    "INSERT INTO intents (kind, provider, state, key_digest, options_digest, instance_id,"
                    " holder, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
                ),
                (
                    str(kind),
                    provider,
                    str(State.REQUESTED),
                    fields.get("key_digest"),
                    fields.get("options_digest"),
                    fields.get("instance_id"),
                    holder,
                    stamp,
                    stamp,
                ),
            ).fetchone()
        return int(row[0])

    def finish(
        self, intent_id: int, state: State, *, instance_id: str | None = None, code: str | None = None
    ) -> None:
        stamp = now()
        with self._transaction() as execute:
            row = execute(
                self._sql(
                    "UPDATE intents SET state = ?, instance_id = COALESCE(?, instance_id), code = ?,"
                    " updated_at = ? WHERE id = ? RETURNING provider, key_digest, instance_id"
                ),
                (str(state), instance_id, code, stamp, intent_id),
            ).fetchone()
            binds = state in (State.CREATED, State.TERMINATED)
            if binds and row is not None and row[1] is not None and row[2] is not None:
                execute(
                    self._sql(
                        "INSERT INTO bound_keys (provider, key_digest, instance_id, bound_at)"
                        " VALUES (?, ?, ?, ?) ON CONFLICT (provider, key_digest) DO NOTHING"
                    ),
                    (row[0], row[1], row[2], stamp),
                )

    def bound(self, provider: str, key_digest: str) -> str | None:
        with self._transaction() as execute:
            row = execute(
                self._sql("SELECT instance_id FROM bound_keys WHERE provider = ? AND key_digest = ?"),
                (provider, key_digest),
            ).fetchone()
        return None if row is None else str(row[0])

    def unfinished(self, provider: str) -> list[Intent]:
        return self._select(
            "WHERE provider = ? AND state IN (?, ?) ORDER BY id", (provider, *map(str, UNFINISHED))
        )

    def intents(self, provider: str | None = None) -> list[Intent]:
        if provider is None:
            return self._select("ORDER BY id", ())
        return self._select("WHERE provider = ? ORDER BY id", (provider,))

    def _select(self, where: str, params: Sequence[Any]) -> list[Intent]:
        with self._transaction() as execute:
            # where is one of this module's constant clauses; values are always parameters.
            query = self._sql(f"SELECT {_COLUMNS} FROM intents {where}")  # noqa: S608
            rows = execute(query, params).fetchall()
        return [
            Intent(
                id=int(r[0]),
                kind=Kind(r[1]),
                provider=r[2],
                state=State(r[3]),
                key_digest=r[4],
                options_digest=r[5],
                instance_id=r[6],
                code=r[7],
                holder=r[8],
                created_at=float(r[9]),
                updated_at=float(r[10]),
            )
            for r in rows
        ]

    def prune(self, older_than: float) -> int:
        with self._transaction() as execute:
            pruned = execute(
                self._sql("DELETE FROM intents WHERE state NOT IN (?, ?) AND updated_at < ?"),
                (*map(str, UNFINISHED), older_than),
            ).rowcount
            execute(self._sql("DELETE FROM leases WHERE expires < ?"), (older_than,))
        return int(pruned)

    # -- leases ----------------------------------------------------------------------------------------

    def try_lease(self, provider: str, key_digest: str, holder: str, seconds: float) -> str | None:
        stamp = now()
        with self._transaction() as execute:
            taken = execute(
                self._sql(
                    "INSERT INTO leases (provider, key_digest, holder, expires) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (provider, key_digest) DO UPDATE SET holder = excluded.holder,"
                    " expires = excluded.expires WHERE leases.expires < ? OR leases.holder = ?"
                    " RETURNING holder"
                ),
                (provider, key_digest, holder, stamp + seconds, stamp, holder),
            ).fetchone()
            if taken is not None:
                return None
            row = execute(
                self._sql("SELECT holder FROM leases WHERE provider = ? AND key_digest = ?"),
                (provider, key_digest),
            ).fetchone()
            current = str(row[0]) if row is not None else ""
            if row is not None and not holder_is_gone(current):
                return current
            # The holder's process has exited: take the lease over, unless someone else just did.
            moved = execute(
                self._sql(
                    "UPDATE leases SET holder = ?, expires = ? WHERE provider = ? AND key_digest = ?"
                    " AND holder = ? RETURNING holder"
                ),
                (holder, stamp + seconds, provider, key_digest, current),
            ).fetchone()
        return None if moved is not None else current

    def release(self, provider: str, key_digest: str, holder: str) -> None:
        with self._transaction() as execute:
            execute(
                self._sql("DELETE FROM leases WHERE provider = ? AND key_digest = ? AND holder = ?"),
                (provider, key_digest, holder),
            )

    # -- shared request budgets ------------------------------------------------------------------------

    def reserve(self, bucket: str, interval: float, max_wait: float) -> float | None:
        stamp = now()
        with self._transaction() as execute:
            execute(
                self._sql(
                    "INSERT INTO buckets (name, next_free) VALUES (?, 0) ON CONFLICT (name) DO NOTHING"
                ),
                (bucket,),
            )
            row = execute(
                self._sql(
                    "UPDATE buckets SET next_free = {greatest}(next_free, ?) + ? WHERE name = ?"
                    " AND {greatest}(next_free, ?) - ? <= ? RETURNING next_free"
                ),
                (stamp, interval, bucket, stamp, stamp, max_wait),
            ).fetchone()
        return None if row is None else max(0.0, float(row[0]) - interval - stamp)
