"""TagAndList: one creation per idempotency key, even after unknown outcomes and under concurrency."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core.author import TagAndList, parse_retry_after


class Store:
    """A fake API: creations tagged with a key become visible to lookups."""

    def __init__(self) -> None:
        self.created: list[str] = []
        self.lock = threading.Lock()

    def find(self, key: str) -> str | None:
        with self.lock:
            return next((c for c in self.created if c == key), None)

    def create(self, key: str, fail: ErrorCode | None = None) -> str:
        time.sleep(0.01)  # widen the window between lookup and creation
        with self.lock:
            self.created.append(key)
        if fail is not None:
            raise ProviderError(fail, "the answer was lost", provider="p")
        return key


def test_concurrent_spawns_with_one_key_create_once() -> None:
    store = Store()
    spawn = TagAndList(store.find)
    results: list[str] = []
    start = threading.Barrier(6)

    def run() -> None:
        start.wait()
        results.append(spawn("job-1", lambda: store.create("job-1")))

    threads = [threading.Thread(target=run) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["job-1"] * 6
    assert store.created == ["job-1"]


def test_an_unknown_outcome_is_recovered_by_looking_again() -> None:
    store = Store()
    spawn = TagAndList(store.find)
    assert spawn("job-2", lambda: store.create("job-2", fail=ErrorCode.UNAVAILABLE)) == "job-2"
    assert store.created == ["job-2"]


def test_known_failures_and_unrecoverable_outcomes_are_raised() -> None:
    store = Store()
    spawn = TagAndList[str](store.find, recover=lambda key: None)
    with pytest.raises(ProviderError) as raised:
        spawn("job-3", lambda: store.create("job-3", fail=ErrorCode.UNAVAILABLE))
    assert raised.value.code is ErrorCode.UNAVAILABLE
    with pytest.raises(ProviderError) as capacity:
        TagAndList[str](lambda key: None)(
            "job-4", lambda: store.create("job-4", fail=ErrorCode.CAPACITY_ERROR)
        )
    assert capacity.value.code is ErrorCode.CAPACITY_ERROR


def test_without_a_key_every_call_creates() -> None:
    store = Store()
    spawn = TagAndList(store.find)
    spawn(None, lambda: store.create("anon"))
    spawn(None, lambda: store.create("anon"))
    assert store.created == ["anon", "anon"]


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("7", 7.0),
        (" 2.5 ", 2.5),
        ("-3", 0.0),
        ("Sat, 21 Nov 2026 12:00:30 GMT", 30.0),
        ("soon", None),
        ("", None),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(header: str, seconds: float | None) -> None:
    now = datetime(2026, 11, 21, 12, 0, 0, tzinfo=UTC)
    assert parse_retry_after(header, now=now) == seconds
    assert parse_retry_after(None) is None
