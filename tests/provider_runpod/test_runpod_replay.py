"""RunPod traffic (REST v2 and GraphQL) recorded as cassettes, replayed offline (see tests/cassettes.py)."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

import provider_core
from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_runpod.testing import Emulator, Fault
from tests import cassettes

FOLDER = Path(__file__).parent / "cassettes"
LIVE = cassettes.live_requested("PROVIDER_RUNPOD_LIVE", "RUNPOD_API_KEY")
# Replay never reaches a server: an unmatched request fails inside vcrpy, before any connection.
NOWHERE = {"base_url": "http://127.0.0.1:9/v2", "graphql_url": "http://127.0.0.1:9/graphql"}


def lifecycle(settings: Mapping[str, Any], scenario: Mapping[str, Any]) -> None:
    """Spot prices, spawn with a key, spawn again (the same pod), read, list, terminate."""
    handle = provider_core.discover().get("runpod", **settings)
    try:
        assert handle.spot is not None
        assert [p.instance_type for p in handle.spot.prices(scenario["gpu"])] == [scenario["gpu"]]
        options = SpawnOptions(
            name=scenario["name"], instance_type=scenario["gpu"], idempotency_key=scenario["key"], disk_gb=10
        )
        first = handle.spawn(options)
        assert handle.spawn(options).id == first.id
        assert handle.get_instance(first.id) is not None
        assert first.id in [pod.id for pod in handle.list_instances()]
        handle.terminate(first.id)
    finally:
        handle.close()


@pytest.mark.skipif(not (LIVE or cassettes.emulator_record_requested()), reason="recording is opt-in")
def test_record() -> None:
    scenario = {"name": "provider-core-cassette", "key": "provider-core-cassette"}
    if LIVE:
        # Settings (the key included) from the environment; the key never enters the scenario file.
        live = {**scenario, "gpu": os.environ.get("RUNPOD_LIVE_GPU", "NVIDIA RTX A4000")}
        cassettes.run_recorded(
            FOLDER,
            "live-lifecycle",
            live,
            lambda s: lifecycle({}, s),
            secrets=[os.environ["RUNPOD_API_KEY"]],
            record=True,
        )
        return
    with Emulator(boot_reads=0) as emulator:
        cassettes.run_recorded(
            FOLDER,
            "emulator-lifecycle",
            {**scenario, "gpu": "NVIDIA RTX A4000"},
            lambda s: lifecycle(emulator.settings, s),
            secrets=[emulator.api_key],
            record=True,
        )


@pytest.mark.parametrize("name", cassettes.recorded(FOLDER))
def test_replay(name: str) -> None:
    settings = {**NOWHERE, "api_key": "replay"}
    cassettes.run_recorded(FOLDER, name, {}, lambda s: lifecycle(settings, s), record=False)


@pytest.mark.parametrize("name", cassettes.recorded(FOLDER))
def test_cassettes_hold_no_secret(name: str) -> None:
    assert cassettes.leaks(FOLDER / f"{name}.yaml") == []


def test_the_emulator_cassette_ships() -> None:
    assert "emulator-lifecycle" in cassettes.recorded(FOLDER)


def test_recording_scrubs_a_key_the_server_echoes(tmp_path: Path) -> None:
    with Emulator() as emulator:
        echo = {"title": "Unauthorized", "status": 401, "detail": f"bad key {emulator.api_key}"}
        emulator.inject(Fault(401, json.dumps(echo).encode(), {"Set-Cookie": f"s={emulator.api_key}"}))

        def call(_: Mapping[str, Any]) -> None:
            handle = provider_core.discover().get("runpod", **emulator.settings)
            with pytest.raises(ProviderError) as caught:
                handle.list_instances()
            assert caught.value.code is ErrorCode.AUTH_ERROR
            handle.close()

        cassettes.run_recorded(tmp_path, "echo", {}, call, secrets=[emulator.api_key], record=True)
    text = (tmp_path / "echo.yaml").read_text()
    assert emulator.api_key not in text
    assert cassettes.leaks(tmp_path / "echo.yaml") == []
    assert cassettes.SCRUBBED in text
