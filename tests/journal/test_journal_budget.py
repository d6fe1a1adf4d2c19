"""Request budgets shared through the journal: two limiters (two processes) on one account take turns."""

from __future__ import annotations

from pathlib import Path

from provider_core._journal_open import open_journal
from provider_core.author import SharedBudget
from provider_runpod._ratelimit import RateLimiter

POLICY = {"ratelimit-policy": '"minute";q=2;w=10'}  # two requests per 10 s: one per 5 s


def test_runpod_limiters_sharing_a_journal_pace_each_other(tmp_path: Path) -> None:
    journal = open_journal(f"sqlite:///{tmp_path / 'journal.db'}")
    waits: list[float] = []
    limiters = [
        RateLimiter(
            shared=SharedBudget(journal, "runpod:acct", {"request": 0.0}, max_wait=60, sleep=waits.append)
        )
        for _ in range(2)
    ]
    for limiter in limiters:
        limiter.observe(POLICY, 200)
    limiters[0].acquire()
    limiters[1].acquire()  # its own window is empty: only the shared budget holds it back
    assert len(waits) == 1
    assert 4 < waits[0] <= 5


def test_a_limiter_without_a_journal_paces_only_itself() -> None:
    waits: list[float] = []
    limiters = [RateLimiter(sleep=waits.append) for _ in range(2)]
    for limiter in limiters:
        limiter.observe(POLICY, 200)
        limiter.acquire()
    assert waits == []
