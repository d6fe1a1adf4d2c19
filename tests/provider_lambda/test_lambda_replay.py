"""Lambda traffic recorded as cassettes and replayed offline (tests/cassettes.py says how to record)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from provider_core import InstanceStatus, ProviderRegistry, SpawnOptions
from provider_lambda import registration
from provider_lambda.testing import DEFAULT_SSH_KEY, LambdaEmulator, settings_for
from tests import cassettes

FOLDER = Path(__file__).parent / "cassettes"
LIVE = cassettes.live_requested("PROVIDER_LAMBDA_LIVE", "LAMBDA_API_KEY")
# Replay never reaches a server: an unmatched request fails inside vcrpy, before any connection.
NOWHERE = "http://127.0.0.1:9/api/v1"


def lifecycle(settings: Mapping[str, Any], scenario: Mapping[str, Any]) -> None:
    """Spawn with a key, spawn again (the same instance), read it, list it, terminate it."""
    registry = ProviderRegistry()
    registry.add(registration)
    handle = registry.get("lambda", **settings)
    try:
        options = SpawnOptions(
            name=scenario["name"],
            instance_type=scenario["instance_type"],
            idempotency_key=scenario["key"],
            region=scenario["region"],
        )
        first = handle.spawn(options)
        assert handle.spawn(options).id == first.id
        found = handle.get_instance(first.id)
        assert found is not None
        assert found.status in (InstanceStatus.PENDING, InstanceStatus.RUNNING)
        assert first.id in [i.id for i in handle.list_instances()]
        handle.terminate(first.id)
    finally:
        registry.close()


def scenario_settings(scenario: Mapping[str, Any], **settings: Any) -> dict[str, Any]:
    return {"ssh_key_name": scenario["ssh_key_name"], **settings}


@pytest.mark.skipif(not (LIVE or cassettes.emulator_record_requested()), reason="recording is opt-in")
def test_record() -> None:
    if LIVE:
        scenario = {
            "name": "provider-core-cassette",
            "instance_type": os.environ.get("LAMBDA_LIVE_INSTANCE_TYPE", "gpu_1x_a10"),
            "region": os.environ.get("LAMBDA_REGION", "us-east-1"),
            "ssh_key_name": os.environ.get("LAMBDA_SSH_KEY_NAME", ""),
            "key": "provider-core-cassette",
        }
        # Settings from the environment (the key never enters the scenario file).
        cassettes.run_recorded(
            FOLDER,
            "live-lifecycle",
            scenario,
            lambda s: lifecycle(scenario_settings(s), s),
            secrets=[os.environ["LAMBDA_API_KEY"]],
            record=True,
        )
        return
    with LambdaEmulator() as emulator:
        scenario = {
            "name": "cassette",
            "instance_type": "gpu_1x_a10",
            "region": "us-east-1",
            "ssh_key_name": DEFAULT_SSH_KEY,
            "key": "cassette-lifecycle",
        }
        cassettes.run_recorded(
            FOLDER,
            "emulator-lifecycle",
            scenario,
            lambda s: lifecycle(settings_for(emulator), s),
            secrets=[emulator.api_key],
            record=True,
        )


@pytest.mark.parametrize("name", cassettes.recorded(FOLDER))
def test_replay(name: str) -> None:
    settings = {"base_url": NOWHERE, "api_key": "replay", "request_interval": 0.0, "launch_interval": 0.0}
    cassettes.run_recorded(
        FOLDER, name, {}, lambda s: lifecycle(scenario_settings(s, **settings), s), record=False
    )


@pytest.mark.parametrize("name", cassettes.recorded(FOLDER))
def test_cassettes_hold_no_secret(name: str) -> None:
    assert cassettes.leaks(FOLDER / f"{name}.yaml") == []


def test_the_emulator_cassette_ships() -> None:
    # CI replays at least the cassette recorded from the emulator.
    assert "emulator-lifecycle" in cassettes.recorded(FOLDER)
