"""`providers recover NAME`: settles an interrupted spawn from the journal, then has nothing to do."""

from __future__ import annotations

from pathlib import Path

from provider_core._journal import Kind, State, key_digest
from provider_core._journal_open import open_journal
from tests.cli.conftest import Cli


def test_recover_adopts_an_interrupted_spawn_and_a_second_run_changes_nothing(
    cli: Cli, tmp_path: Path
) -> None:
    url = f"sqlite:///{tmp_path / 'journal.db'}"
    # A spawn that reached the cloud, from a control plane that died before it wrote the outcome.
    made = cli.ok("spawn", "memory", "--type", "mem.small", "--idempotency-key", "job-1", "--json").json()
    journal = open_journal(url)
    journal.begin(Kind.SPAWN, "memory", "dead-host:1:x", key_digest=key_digest("memory", "job-1"))
    journaled = Cli({**cli.env, "PROVIDER_CORE_JOURNAL": url})
    report = journaled.ok("recover", "memory", "--policy", "adopt", "--json").json()
    assert report["adopted"] == [made["id"]]
    assert [i.state for i in journal.intents()] == [State.CREATED]
    assert journaled.ok("recover", "memory", "--policy", "adopt").stdout.strip() == "Nothing to recover."


def test_recover_without_a_journal_says_how_to_configure_one(cli: Cli) -> None:
    run = cli("recover", "memory", "--policy", "terminate")
    assert run.code == 3
    assert "PROVIDER_CORE_JOURNAL" in run.stderr
