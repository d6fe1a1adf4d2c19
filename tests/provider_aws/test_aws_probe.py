"""multi_az_probe's speed rules: refused zones remembered briefly, and the opt-in race that never leaks."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from provider_aws.testing import Ec2Control
from provider_aws.workflows import _probe
from provider_aws.workflows._probe import REFUSED_FOR_S, ProbeResult
from provider_core import ErrorCode, ListFilter, ProviderError, ProviderHandle, ProviderInstance
from tests.provider_aws.conftest import LocalSpawner

ZONES = ["us-east-1a", "us-east-1b", "us-east-1c"]


@pytest.fixture
def now(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The probe's clock, moved by hand."""
    current = [1000.0]
    monkeypatch.setattr(_probe, "clock", lambda: current[0])
    return current


def alive(handle: ProviderHandle, spawn: LocalSpawner) -> list[ProviderInstance]:
    return handle.list_instances(ListFilter(name_prefix=spawn.prefix, statuses=["pending", "running"]))


def launches(control: Ec2Control) -> int:
    return control.calls().count("RunInstances")


def probe(handle: ProviderHandle, spawn: LocalSpawner, **how: Any) -> ProbeResult:
    result: ProbeResult = handle.workflows["multi_az_probe"](spawn.options("probe"), zones=ZONES, **how)
    spawn.track(result.instance)
    return result


def test_a_repeated_probe_starts_in_the_zone_that_worked(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner, now: list[float]
) -> None:
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1b")
    assert probe(handle, spawn).zone == "us-east-1c"
    assert launches(control) == 3
    control.clear()
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1b")
    assert probe(handle, spawn).zone == "us-east-1c"
    assert launches(control) == 1  # the zones that just refused are tried last


def test_a_refusal_is_forgotten_after_a_while(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner, now: list[float]
) -> None:
    control.no_capacity("us-east-1a")
    assert probe(handle, spawn).zone == "us-east-1b"
    control.clear()
    now[0] += REFUSED_FOR_S
    assert probe(handle, spawn).zone == "us-east-1a"  # capacity came back, and the zone is first again
    assert launches(control) == 1


def test_a_remembered_zone_is_still_tried_when_no_other_has_room(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner, now: list[float]
) -> None:
    control.no_capacity("us-east-1a")
    probe(handle, spawn)
    control.clear()
    for zone in ZONES[1:]:
        control.no_capacity(zone)
    assert probe(handle, spawn).zone == "us-east-1a"


def test_the_race_keeps_one_instance_and_terminates_the_others(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner
) -> None:
    result = probe(handle, spawn, strategy="race")
    result.settle(timeout=60)
    assert launches(control) == 3  # every zone had room: three landed, two were terminated
    assert [i.id for i in alive(handle, spawn)] == [result.instance.id]
    assert set(result.losers) == set(ZONES) - {result.zone}
    assert all("lost the race" in why for why in result.losers.values())


def test_the_race_finds_the_one_zone_with_room(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner
) -> None:
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1c")
    result = probe(handle, spawn, strategy="race")
    result.settle(timeout=60)
    assert result.zone == "us-east-1b"
    assert [i.id for i in alive(handle, spawn)] == [result.instance.id]


def test_a_race_in_narrow_waves_goes_on_until_a_zone_has_room(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner
) -> None:
    control.no_capacity("us-east-1a")
    control.no_capacity("us-east-1b")
    result = probe(handle, spawn, strategy="race", race_width=2)
    result.settle(timeout=60)
    assert result.zone == "us-east-1c"
    assert [i.id for i in alive(handle, spawn)] == [result.instance.id]


def _no_room(control: Ec2Control) -> None:
    for zone in ZONES:
        control.no_capacity(zone)


def _unauthorized(control: Ec2Control) -> None:
    control.inject("RunInstances", "UnauthorizedOperation", times=None)


@pytest.mark.parametrize(
    ("refuse", "code"), [(_no_room, ErrorCode.CAPACITY_ERROR), (_unauthorized, ErrorCode.AUTH_ERROR)]
)
def test_a_race_that_no_zone_wins_raises_and_leaves_nothing(
    handle: ProviderHandle,
    control: Ec2Control,
    spawn: LocalSpawner,
    refuse: Callable[[Ec2Control], None],
    code: ErrorCode,
) -> None:
    refuse(control)
    with pytest.raises(ProviderError) as caught:
        probe(handle, spawn, strategy="race")
    assert caught.value.code is code
    assert alive(handle, spawn) == []


def test_a_racing_key_is_one_key_per_zone(
    handle: ProviderHandle, control: Ec2Control, spawn: LocalSpawner
) -> None:
    options = spawn.options("keyed", idempotency_key="race-1")
    result: ProbeResult = handle.workflows["multi_az_probe"](options, zones=ZONES, strategy="race")
    spawn.track(result.instance)
    result.settle(timeout=60)
    # Three launches with three tokens: none was refused as a token reused with other parameters.
    assert launches(control) == 3
    assert [i.id for i in alive(handle, spawn)] == [result.instance.id]


@pytest.mark.parametrize("how", [{"strategy": "sideways"}, {"strategy": "race", "race_width": 0}])
def test_bad_strategies_are_refused(handle: ProviderHandle, spawn: LocalSpawner, how: dict[str, Any]) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.workflows["multi_az_probe"](spawn.options("bad"), zones=ZONES, **how)
    assert caught.value.code is ErrorCode.INVALID_SPEC
