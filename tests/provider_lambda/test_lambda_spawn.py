"""spawn: the launch request, validation before any request, capacity and type checks."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from provider_core import (
    BootstrapConfig,
    BootstrapFormat,
    ErrorCode,
    InstanceStatus,
    NetworkConfig,
    ProviderError,
    ProviderHandle,
    SpawnOptions,
    VolumeAttachment,
)
from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from provider_lambda import LambdaProvider
from provider_lambda.testing import DEFAULT_SSH_KEY, INSTANCE_TYPES, REGIONS, LambdaEmulator

LAUNCH = "/api/v1/instance-operations/launch"


def launches(emulator: LambdaEmulator) -> list[dict[str, object]]:
    return [json.loads(e.body) for e in emulator.exchanges if e.target == LAUNCH]


def test_spawn_sends_type_region_name_key_user_data_and_tags(
    handle: ProviderHandle, provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    # Through a handle: the core adds the management and idempotency tags, the provider sends them as given.
    bootstrap = handle.generate_bootstrap(
        BootstrapConfig(control_plane_url="https://cp.example", instance_token="tok-123")
    )
    instance = handle.spawn(
        SpawnOptions(
            name="trainer",
            instance_type="gpu_1x_a10",
            region="us-east-1",
            bootstrap=bootstrap,
            tags={"team": "ml"},
            idempotency_key="job-1",
        )
    )
    assert instance.status is InstanceStatus.PENDING
    assert (instance.region, instance.instance_type, instance.name) == ("us-east-1", "gpu_1x_a10", "trainer")
    [body] = launches(emulator)
    assert body["region_name"] == "us-east-1"
    assert body["instance_type_name"] == "gpu_1x_a10"
    assert body["name"] == "trainer"
    assert body["ssh_key_names"] == [DEFAULT_SSH_KEY]
    assert body["user_data"] == bootstrap.content
    assert bootstrap.format is BootstrapFormat.CLOUD_INIT
    assert {t["key"]: t["value"] for t in body["tags"]} == {  # type: ignore[attr-defined]
        "team": "ml",
        MANAGED_TAG: "true",
        IDEMPOTENCY_TAG: "job-1",
    }
    assert emulator.user_data(instance.id) == bootstrap.content
    stored = provider.get_instance(instance.id)
    assert stored is not None
    assert stored.tags == instance.tags
    assert stored.gpu_count == 1


def test_spawn_with_shell_bootstrap_passes_the_script_as_user_data(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    script = provider.generate_bootstrap(
        BootstrapConfig(control_plane_url="https://cp.example", instance_token="t", format="shell")
    )
    instance = provider.spawn(SpawnOptions(name="s", instance_type="gpu_1x_a10", bootstrap=script))
    assert emulator.user_data(instance.id) == script.content
    assert script.content.startswith("#!")


@pytest.mark.parametrize(
    ("options", "fragment"),
    [
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"Team": "a"}), "'Team'"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"a": "v"}), "'a'"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"team_x": "v"}), "'team_x'"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"k" * 56: "v"}), "at most 55"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"key\n": "v"}), "key\\n"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", tags={"team": "v" * 129}), "at most 128"),
        (SpawnOptions(name="n" * 65, instance_type="gpu_1x_a10"), "at most 64"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", ssh_key_names=("a", "b")), "exactly one"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", spot=True), "spot"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", volumes=[VolumeAttachment("v")]), "volumes"),
        (SpawnOptions(name="x", instance_type="gpu_1x_a10", network=NetworkConfig()), "network"),
    ],
)
def test_invalid_spawn_options_fail_before_any_request(
    handle: ProviderHandle, emulator: LambdaEmulator, options: SpawnOptions, fragment: str
) -> None:
    # Through a handle: spot, volumes and network are refused by the core's capability gating,
    # the rest by Lambda's own limits in the provider.
    with pytest.raises(ProviderError) as caught:
        handle.spawn(options)
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert fragment in caught.value.message
    assert emulator.exchanges == []


def test_spawn_without_any_ssh_key_is_invalid(
    make_provider: Callable[..., LambdaProvider], emulator: LambdaEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LAMBDA_SSH_KEY_NAME", raising=False)
    provider = make_provider(ssh_key_name=None)
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "ssh_key_name" in caught.value.message
    assert emulator.exchanges == []


def test_oversized_bootstrap_is_invalid_before_any_request(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    from provider_core import BootstrapScript

    huge = BootstrapScript("#!/bin/sh\n" + "#" * (1024 * 1024), "shell")
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", bootstrap=huge))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert emulator.exchanges == []


def test_no_capacity_fails_fast_naming_regions_with_capacity(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    emulator.set_capacity("gpu_1x_a10", {"us-east-1": 3, "us-south-1": 1, "us-west-1": 0})
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", region="us-west-1"))
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    assert "us-east-1, us-south-1" in caught.value.message
    assert launches(emulator) == []


def test_no_capacity_anywhere_says_so(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_8x_h100_sxm5"))
    assert caught.value.code is ErrorCode.CAPACITY_ERROR
    assert "any region" in caught.value.message
    assert launches(emulator) == []


def test_unknown_instance_type_is_invalid_spec(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_9x_imaginary"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "gpu_1x_a10" in caught.value.message
    assert launches(emulator) == []


def test_region_defaults_to_setting_then_first_region_with_capacity(
    make_provider: Callable[..., LambdaProvider], emulator: LambdaEmulator
) -> None:
    emulator.set_capacity("gpu_1x_a10", ["us-south-1", "us-east-1"])
    first = make_provider().spawn(SpawnOptions(name="a", instance_type="gpu_1x_a10"))
    assert first.region == "us-east-1"
    second = make_provider(region="us-south-1").spawn(SpawnOptions(name="b", instance_type="gpu_1x_a10"))
    assert second.region == "us-south-1"
    assert [b["region_name"] for b in launches(emulator)] == ["us-east-1", "us-south-1"]


def test_gpu_count_must_match_the_instance_type(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", gpu_count=8))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert provider.spawn(SpawnOptions(name="y", instance_type="gpu_1x_a10", gpu_count=1)).id
    assert len(launches(emulator)) == 1


def test_image_forms(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    for image in ("lambda-stack-22-04", "family:ubuntu-22.04", "id:0123abcd"):
        provider.spawn(SpawnOptions(name="i", instance_type="gpu_1x_a10", image=image))
    assert [b["image"] for b in launches(emulator)] == [
        {"family": "lambda-stack-22-04"},
        {"family": "ubuntu-22.04"},
        {"id": "0123abcd"},
    ]


def test_unknown_ssh_key_at_launch_is_invalid_spec(provider: LambdaProvider) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", ssh_key_names=("nope",)))
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_quota_reached_is_quota_exceeded(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    emulator.quota = 1
    provider.spawn(SpawnOptions(name="a", instance_type="gpu_1x_a10"))
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="b", instance_type="gpu_1x_a10"))
    assert caught.value.code is ErrorCode.QUOTA_EXCEEDED
    assert not caught.value.retryable
    assert emulator.launches == 1


def test_unknown_region_is_invalid_spec_naming_the_valid_regions(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    with pytest.raises(ProviderError) as caught:
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", region="us-wset-1"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert not caught.value.retryable
    message = caught.value.message
    assert "'us-wset-1'" in message
    assert "SpawnOptions.region" in message
    # Every valid region is named, with or without capacity right now.
    assert all(region in message for region in REGIONS)
    assert launches(emulator) == []


def test_unknown_region_setting_is_invalid_spec_naming_the_setting(
    make_provider: Callable[..., LambdaProvider], emulator: LambdaEmulator
) -> None:
    with pytest.raises(ProviderError) as caught:
        make_provider(region="us-wset-1").spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10"))
    assert caught.value.code is ErrorCode.INVALID_SPEC
    assert "'region' setting" in caught.value.message
    assert launches(emulator) == []


@pytest.mark.invalid_requests
def test_a_region_the_api_reports_is_valid_even_if_the_spec_does_not_list_it(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    types = {
        "gpu_1x_a10": {
            "instance_type": INSTANCE_TYPES["gpu_1x_a10"],
            "regions_with_capacity_available": [{"name": "us-north-9", "description": "new"}],
        }
    }
    emulator.fail(200, raw_body=json.dumps({"data": types}).encode(), operation="listInstanceTypes")
    # The emulator knows only the spec's regions and refuses the launch; what matters is that it was sent.
    with pytest.raises(ProviderError):
        provider.spawn(SpawnOptions(name="x", instance_type="gpu_1x_a10", region="us-north-9"))
    assert [b["region_name"] for b in launches(emulator)] == ["us-north-9"]


CATALOG = "/api/v1/instance-types"


def catalog_reads(emulator: LambdaEmulator) -> int:
    return sum(e.target == CATALOG for e in emulator.exchanges)


def test_consecutive_spawns_read_the_catalog_once(provider: LambdaProvider, emulator: LambdaEmulator) -> None:
    for n in range(3):
        provider.spawn(SpawnOptions(name=f"x{n}", instance_type="gpu_1x_a10", region="us-east-1"))
    assert len(launches(emulator)) == 3
    assert catalog_reads(emulator) == 1


def test_a_refusal_from_the_cached_catalog_is_checked_afresh(
    provider: LambdaProvider, emulator: LambdaEmulator
) -> None:
    emulator.set_capacity("gpu_1x_a10", {"us-east-1": 3, "us-west-1": 0})
    provider.spawn(SpawnOptions(name="a", instance_type="gpu_1x_a10", region="us-east-1"))
    emulator.set_capacity("gpu_1x_a10", {"us-east-1": 3, "us-west-1": 2})
    # The cached catalog still says us-west-1 is full; the capacity that came back is found.
    provider.spawn(SpawnOptions(name="b", instance_type="gpu_1x_a10", region="us-west-1"))
    assert [b["region_name"] for b in launches(emulator)] == ["us-east-1", "us-west-1"]
    assert catalog_reads(emulator) == 2
