"""provider-slurm's own tests: its error table and status map, and the compliance suite."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator

import pytest

from provider_core import ErrorCode, InstanceStatus, ProviderError, ProviderHandle, SpawnOptions, discover


@pytest.fixture
def handle() -> Iterator[ProviderHandle]:
    handle = discover().get("slurm")
    yield handle
    handle.close()


def test_the_provider_is_discovered() -> None:
    assert "slurm" in discover().names()


def test_an_unknown_instance_type_is_invalid_spec(handle: ProviderHandle) -> None:
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="t", instance_type="no-such-type"))
    assert caught.value.code is ErrorCode.INVALID_SPEC


def test_a_new_instance_boots_then_terminates(handle: ProviderHandle) -> None:
    instance = handle.spawn(SpawnOptions(name="t", instance_type="small"))
    assert instance.status is InstanceStatus.PENDING
    assert getattr(handle.get_instance(instance.id), "status", None) is InstanceStatus.RUNNING
    handle.terminate(instance.id)
    assert getattr(handle.get_instance(instance.id), "status", None) is InstanceStatus.TERMINATED


def test_the_compliance_suite_passes() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--pyargs", "provider_core.testing", "--provider", "slurm", "-q"],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stdout + run.stderr
