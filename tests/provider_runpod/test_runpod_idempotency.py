"""Idempotent spawn by tag-and-list: the key is looked up before creating and after an unknown outcome."""

from __future__ import annotations

import json
import threading

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_runpod import RunPodProvider
from provider_runpod._types import TAGS_ENV
from provider_runpod.testing import Emulator

GPU = "NVIDIA RTX A4000"


def keyed(key: str, **kwargs: object) -> SpawnOptions:
    tags = {MANAGED_TAG: "true", IDEMPOTENCY_TAG: key}
    return SpawnOptions(name="k", instance_type=GPU, idempotency_key=key, tags=tags, **kwargs)  # type: ignore[arg-type]


def creates(emulator: Emulator) -> int:
    return sum(1 for e in emulator.exchanges if e.method == "POST" and e.path == "/v2/pods")


def test_same_key_same_pod(provider: RunPodProvider, emulator: Emulator) -> None:
    first = provider.spawn(keyed("job-1"))
    again = provider.spawn(keyed("job-1"))
    other = provider.spawn(keyed("job-2"))
    assert again.id == first.id != other.id
    assert creates(emulator) == 2


def test_create_then_fail_finds_the_pod_it_made(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.create_then_fail(1)
    pod = provider.spawn(keyed("job-3"))
    assert creates(emulator) == 1
    assert len(emulator.account.pods) == 1
    assert pod.id in emulator.account.pods


def test_spot_create_then_fail_finds_the_pod_it_made(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.create_then_fail(1)
    pod = provider.spawn(keyed("job-4", spot=True, max_price_per_hour=0.5))
    assert pod.spot
    assert list(emulator.account.pods) == [pod.id]


def test_a_failed_lookup_creates_nothing(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.fail_next(1, status=503)  # the lookup fails: nothing is created blind
    with pytest.raises(ProviderError) as caught:
        provider.spawn(keyed("job-5"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert creates(emulator) == 0


def test_a_failed_create_that_made_nothing_is_raised(
    provider: RunPodProvider, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    bad_gateway = (502, {"title": "Bad Gateway", "status": 502, "detail": "upstream"})
    monkeypatch.setattr(emulator.account, "create_pod", lambda body: bad_gateway)
    with pytest.raises(ProviderError) as caught:
        provider.spawn(keyed("job-5"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    # Looked up before and after the create, found nothing either time.
    assert [(e.method, e.status) for e in emulator.exchanges] == [("GET", 200), ("POST", 502), ("GET", 200)]


def test_concurrent_spawns_with_one_key_create_one_pod(provider: RunPodProvider, emulator: Emulator) -> None:
    results: list[str] = []

    def spawn() -> None:
        results.append(provider.spawn(keyed("job-6")).id)

    threads = [threading.Thread(target=spawn) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(results)) == 1
    assert creates(emulator) == 1


def test_without_a_key_every_spawn_creates(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.spawn(SpawnOptions(name="a", instance_type=GPU))
    provider.spawn(SpawnOptions(name="a", instance_type=GPU))
    assert creates(emulator) == 2
    assert not any(e.method == "GET" for e in emulator.exchanges)  # no lookup needed


def test_a_refused_rent_does_not_use_up_create_then_fail(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    emulator.create_then_fail(1)
    emulator.account.capacity[GPU] = 0
    with pytest.raises(ProviderError) as caught:
        provider.spawn(keyed("job-7", spot=True, max_price_per_hour=0.5))
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    emulator.account.capacity[GPU] = 8
    pod = provider.spawn(keyed("job-7", spot=True, max_price_per_hour=0.5))  # created, then a 500
    assert list(emulator.account.pods) == [pod.id]
    assert [e.status for e in emulator.exchanges if e.path == "/graphql"] == [200, 500]


def test_when_the_second_lookup_fails_the_create_error_is_raised(
    provider: RunPodProvider, emulator: Emulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator.create_then_fail(1)
    real_list = emulator.account.list_pods
    lists: list[int] = []

    def list_once() -> tuple[int, object]:
        lists.append(1)
        if len(lists) == 1:
            return real_list()
        return 503, {"title": "Service Unavailable", "status": 503, "detail": "lookup down"}

    monkeypatch.setattr(emulator.account, "list_pods", list_once)
    with pytest.raises(ProviderError) as caught:
        provider.spawn(keyed("job-8"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert caught.value.message.startswith("createPod")


def test_an_unmanaged_pod_carrying_the_key_does_not_answer_for_it(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    # Someone copied the tags env var but not the management tag: the key is not theirs to claim.
    env = {TAGS_ENV: json.dumps({IDEMPOTENCY_TAG: "job-9"})}
    body = {"name": "theirs", "image": "their/image:1", "gpu": {"id": GPU, "count": 1}, "env": env}
    status, theirs = emulator.account.create_pod(body)
    assert status == 201, theirs
    pod = provider.spawn(keyed("job-9"))
    assert pod.id != theirs["id"]
    assert creates(emulator) == 1
