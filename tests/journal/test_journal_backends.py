"""Both backends behind one interface: leases, key binding, pruning, shared request slots, the schema."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core._journal import HOST, Kind, State, holder_name
from provider_core._journal_open import open_journal
from provider_core._journal_sql import MIGRATIONS, VERSION


def test_an_intent_is_unfinished_until_its_outcome_is_written(journal_url: str) -> None:
    journal = open_journal(journal_url)
    spawn = journal.begin(Kind.SPAWN, "p", "h", key_digest="k1", options_digest="o1")
    kill = journal.begin(Kind.TERMINATE, "p", "h", instance_id="i-9")
    journal.begin(Kind.SPAWN, "other", "h", key_digest="k1")
    assert [i.id for i in journal.unfinished("p")] == [spawn, kill]
    journal.finish(spawn, State.UNCERTAIN, code="UNAVAILABLE")
    assert [i.state for i in journal.unfinished("p")] == [State.UNCERTAIN, State.REQUESTED]
    journal.finish(spawn, State.CREATED, instance_id="i-1")
    journal.finish(kill, State.CONFIRMED)
    assert journal.unfinished("p") == []
    assert journal.bound("p", "k1") == "i-1"
    assert journal.bound("other", "k1") is None


def test_a_key_stays_bound_to_its_first_instance(journal_url: str) -> None:
    journal = open_journal(journal_url)
    for instance_id in ("i-1", "i-2"):
        intent = journal.begin(Kind.SPAWN, "p", "h", key_digest="k")
        journal.finish(intent, State.CREATED, instance_id=instance_id)
    assert journal.bound("p", "k") == "i-1"
    failed = journal.begin(Kind.SPAWN, "p", "h", key_digest="k2")
    journal.finish(failed, State.FAILED, code="INVALID_SPEC")
    assert journal.bound("p", "k2") is None


def test_a_live_lease_is_never_overtaken_and_an_expired_one_is(journal_url: str) -> None:
    journal = open_journal(journal_url)
    assert journal.try_lease("p", "k", "a", 60) is None
    assert journal.try_lease("p", "k", "b", 60) == "a"
    assert journal.try_lease("p", "k", "a", 60) is None  # the holder renews its own
    journal.release("p", "k", "b")  # not b's to release
    assert journal.try_lease("p", "k", "b", 60) == "a"
    journal.release("p", "k", "a")
    assert journal.try_lease("p", "k", "b", -1) is None  # taken, already expired
    assert journal.try_lease("p", "k", "c", 60) is None


def test_the_lease_of_an_exited_process_of_this_host_is_taken_at_once(journal_url: str) -> None:
    journal = open_journal(journal_url)
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True)
    dead = f"{HOST}:{int(child.stdout)}:x"
    assert journal.try_lease("p", "k", dead, 600) is None
    assert journal.try_lease("p", "k", holder_name(), 600) is None
    elsewhere = "another-host:1:x"  # a process of another host cannot be checked: its lease stands
    assert journal.try_lease("p", "k2", elsewhere, 600) is None
    assert journal.try_lease("p", "k2", holder_name(), 600) == elsewhere


def test_request_slots_are_spaced_by_the_interval_and_refused_past_max_wait(journal_url: str) -> None:
    journal = open_journal(journal_url)
    first = journal.reserve("lambda:acct:request", 10.0, max_wait=15)
    second = journal.reserve("lambda:acct:request", 10.0, max_wait=15)
    assert first == 0
    assert second is not None
    assert 9 < second <= 10
    assert journal.reserve("lambda:acct:request", 10.0, max_wait=15) is None  # would wait ~20 s
    assert journal.reserve("lambda:other:request", 10.0, max_wait=15) == 0


def test_finished_intents_are_pruned_after_the_retention(journal_url: str) -> None:
    journal = open_journal(journal_url)
    done = journal.begin(Kind.SPAWN, "p", "h", key_digest="k")
    journal.finish(done, State.CREATED, instance_id="i-1")
    open_one = journal.begin(Kind.SPAWN, "p", "h", key_digest="k2")
    assert journal.prune(older_than=0) == 0
    assert journal.prune(older_than=2e10) == 1
    assert [i.id for i in journal.intents()] == [open_one]  # unfinished intents are never pruned
    assert journal.bound("p", "k") == "i-1"  # nor the key's binding
    journal.close()
    reopened = open_journal(journal_url, retention=-1e10)  # opening prunes what is past the retention
    assert [i.id for i in reopened.intents()] == [open_one]


def test_the_schema_migrates_forward_from_version_1(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    for statement in MIGRATIONS[0]:
        conn.execute(statement.format(id="INTEGER PRIMARY KEY"))
    conn.execute("INSERT INTO schema_version VALUES (1)")
    conn.execute(
        "INSERT INTO intents (kind, provider, state, holder, created_at, updated_at)"
        " VALUES ('spawn', 'p', 'requested', 'h', 1, 1)"
    )
    conn.commit()
    conn.close()
    journal = open_journal(f"sqlite:///{path}")
    assert journal.schema_version() == VERSION == 2
    assert [i.provider for i in journal.unfinished("p")] == ["p"]  # the old rows survive
    assert journal.reserve("b", 1.0, 1.0) == 0  # version 2's table exists


def test_the_sqlite_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "journal.db"
    old = os.umask(0)
    try:
        open_journal(f"sqlite:///{path}")
    finally:
        os.umask(old)
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_journal_that_cannot_be_opened_is_unavailable_naming_no_secret(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(ProviderError) as caught:
        open_journal(f"sqlite:///{blocker}/journal.db")
    assert caught.value.code is ErrorCode.UNAVAILABLE
    with pytest.raises(ProviderError) as caught:
        open_journal("postgresql://user:hunter2-secret@127.0.0.1:1/db")
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "hunter2-secret" not in str(caught.value)
    with pytest.raises(ValueError, match="sqlite:///PATH"):
        open_journal("mysql://x")
