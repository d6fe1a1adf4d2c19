"""list_instances, get_instance, terminate and the status mapping, over real HTTP.

The management, filter and NOT_FOUND rules are the core's: those tests go through a handle.
"""

from __future__ import annotations

import httpx
import pytest

from provider_core import ErrorCode, InstanceStatus, ListFilter, ProviderError, ProviderHandle, SpawnOptions
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_lambda import LambdaProvider
from provider_lambda.testing import DEFAULT_SSH_KEY, LambdaEmulator

TERMINATE = "/api/v1/instance-operations/terminate"
LAMBDA_STATUSES = [
    ("booting", InstanceStatus.PENDING),
    ("active", InstanceStatus.RUNNING),
    ("unhealthy", InstanceStatus.PENDING),
    ("terminating", InstanceStatus.TERMINATING),
    ("terminated", InstanceStatus.TERMINATED),
    ("preempted", InstanceStatus.TERMINATED),
]


def unmanaged(emulator: LambdaEmulator, name: str, tags: dict[str, str] | None = None) -> str:
    """An instance someone launched outside provider-core (no management tag)."""
    body = {
        "region_name": "us-west-1",
        "instance_type_name": "gpu_1x_a10",
        "ssh_key_names": [DEFAULT_SSH_KEY],
        "tags": [{"key": k, "value": v} for k, v in (tags or {}).items()],
    }
    # In-process, past the HTTP server: the emulator is a WSGI app.
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    with httpx.Client(transport=httpx.WSGITransport(app=emulator), headers=headers) as client:
        reply = client.post(
            "http://lambda.test/api/v1/instance-operations/launch", json={**body, "name": name}
        )
    instance_id: str = reply.json()["data"]["instance_ids"][0]
    return instance_id


@pytest.mark.parametrize(("lambda_status", "expected"), LAMBDA_STATUSES)
def test_status_mapping(
    provider: LambdaProvider, emulator: LambdaEmulator, lambda_status: str, expected: InstanceStatus
) -> None:
    instance = provider.spawn(SpawnOptions(name="s", instance_type="gpu_1x_a10"))
    emulator.set_status(instance.id, lambda_status)
    found = provider.get_instance(instance.id)
    assert found is not None
    assert found.status is expected
    assert found.lambda_status == lambda_status
    [listed] = provider.list_instances()
    assert listed.status is expected


def test_preempted_and_unhealthy_carry_a_reason(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    instance = provider.spawn(SpawnOptions(name="s", instance_type="gpu_1x_a10"))
    emulator.set_status(instance.id, "preempted")
    found = provider.get_instance(instance.id)
    assert found is not None
    assert found.status_reason == "preempted by Lambda"
    emulator.set_status(instance.id, "unhealthy")
    found = provider.get_instance(instance.id)
    assert found is not None
    assert found.status_reason is not None
    assert "may recover" in found.status_reason


def test_list_returns_only_managed_instances(handle: ProviderHandle, emulator: LambdaEmulator) -> None:
    mine = handle.spawn(SpawnOptions(name="mine", instance_type="gpu_1x_a10"))
    foreign = unmanaged(emulator, "foreign")
    listed = handle.list_instances()
    assert [i.id for i in listed] == [mine.id]
    assert listed[0].tags[MANAGED_TAG] == "true"
    assert foreign in {i["id"] for i in emulator.snapshot()}


def test_unmanaged_instances_do_not_exist_for_get_and_terminate(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    foreign = unmanaged(emulator, "foreign")
    assert handle.get_instance(foreign) is None
    handle.terminate(foreign)
    handle.terminate(foreign)
    [left] = emulator.snapshot()
    assert (left["id"], left["status"]) == (foreign, "active")
    assert not [e for e in emulator.exchanges if e.target == TERMINATE]


def test_an_idempotency_tag_without_the_managed_tag_is_not_ours(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    foreign = unmanaged(emulator, "foreign", tags={IDEMPOTENCY_TAG: "job-1"})
    mine = handle.spawn(SpawnOptions(name="mine", instance_type="gpu_1x_a10", idempotency_key="job-1"))
    assert mine.id != foreign
    assert emulator.launches == 2


def test_list_filters_by_tags_status_region_and_name_prefix(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    a = handle.spawn(
        SpawnOptions(name="web-1", instance_type="gpu_1x_a10", region="us-west-1", tags={"env": "prod"})
    )
    b = handle.spawn(
        SpawnOptions(name="web-2", instance_type="gpu_1x_a10", region="us-east-1", tags={"env": "dev"})
    )
    c = handle.spawn(
        SpawnOptions(name="db-1", instance_type="gpu_1x_a10", region="us-east-1", tags={"env": "prod"})
    )
    emulator.set_status(c.id, "unhealthy")

    def ids(filter: ListFilter) -> set[str]:
        return {i.id for i in handle.list_instances(filter)}

    assert ids(ListFilter(tags={"env": "prod"})) == {a.id, c.id}
    assert ids(ListFilter(region="us-east-1")) == {b.id, c.id}
    assert ids(ListFilter(name_prefix="web-")) == {a.id, b.id}
    assert ids(ListFilter(statuses=[InstanceStatus.PENDING])) == {c.id}
    assert ids(ListFilter(statuses=[InstanceStatus.RUNNING], region="us-east-1")) == {b.id}
    assert ids(ListFilter(tags={"env": "prod"}, name_prefix="db")) == {c.id}


def test_get_unknown_instance_is_none(handle: ProviderHandle, provider: LambdaProvider) -> None:
    assert handle.get_instance("0123456789abcdef0123456789abcdef") is None
    # The provider lets the API's NOT_FOUND through; the core turns it into None.
    with pytest.raises(ProviderError) as caught:
        provider.get_instance("0123456789abcdef0123456789abcdef")
    assert caught.value.code is ErrorCode.NOT_FOUND


def test_get_instance_quotes_the_id_into_one_path_segment(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    assert handle.get_instance("../instance-types") is None
    assert emulator.exchanges[-1].target == "/api/v1/instances/..%2Finstance-types"


def test_terminate_is_idempotent(handle: ProviderHandle, emulator: LambdaEmulator) -> None:
    instance = handle.spawn(SpawnOptions(name="t", instance_type="gpu_1x_a10"))
    handle.terminate(instance.id)
    handle.terminate(instance.id)
    handle.terminate("0123456789abcdef0123456789abcdef")
    assert handle.get_instance(instance.id) is None
    assert handle.list_instances() == []
    assert emulator.snapshot() == []


def test_terminating_instance_is_reported_until_it_is_gone(
    handle: ProviderHandle, emulator: LambdaEmulator
) -> None:
    emulator.terminate_seconds = 3600
    instance = handle.spawn(SpawnOptions(name="t", instance_type="gpu_1x_a10"))
    handle.terminate(instance.id)
    found = handle.get_instance(instance.id)
    assert found is not None
    assert found.status is InstanceStatus.TERMINATING
    handle.terminate(instance.id)


@pytest.mark.parametrize("operation", ["getInstance", "terminateInstance"])
def test_terminate_propagates_real_failures(
    handle: ProviderHandle, emulator: LambdaEmulator, operation: str
) -> None:
    instance = handle.spawn(SpawnOptions(name="t", instance_type="gpu_1x_a10"))
    emulator.fail(503, "provider/internal-unavailable", operation=operation)
    with pytest.raises(ProviderError) as caught:
        handle.terminate(instance.id)
    assert caught.value.code is ErrorCode.UNAVAILABLE
    [still] = emulator.snapshot()
    assert still["status"] != "terminating"
