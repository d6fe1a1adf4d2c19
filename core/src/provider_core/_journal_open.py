"""Opening a journal by URL (its own module: the backends import the interface, this imports them)."""

from __future__ import annotations

from provider_core._journal import RETENTION_SECONDS, Journal, now


def open_journal(url: str, *, retention: float = RETENTION_SECONDS) -> Journal:
    """The backend for url: sqlite:///PATH or postgresql://... (psycopg imported only then), migrated to
    the current schema, with intents finished more than `retention` seconds ago pruned."""
    journal: Journal
    if url.startswith("sqlite://"):
        from provider_core._journal_sqlite import SQLiteJournal

        journal = SQLiteJournal(url.removeprefix("sqlite://"))
    elif url.startswith(("postgresql://", "postgres://")):
        from provider_core._journal_pg import PostgresJournal

        journal = PostgresJournal(url)
    else:
        raise ValueError(
            f"journal URL must be sqlite:///PATH or postgresql://..., got {url.split(':')[0]}:..."
        )
    journal.prune(now() - retention)
    return journal
