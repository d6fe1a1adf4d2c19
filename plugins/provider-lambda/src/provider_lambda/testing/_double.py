"""The compliance suite's entry: an emulator and the settings that point a provider at it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from provider_lambda.testing._catalog import DEFAULT_SSH_KEY
from provider_lambda.testing._server import LambdaEmulator


def settings_for(emulator: LambdaEmulator, **overrides: Any) -> dict[str, Any]:
    """Provider settings for the emulator, paced fast enough for tests."""
    return {
        "base_url": emulator.base_url,
        "api_key": emulator.api_key,
        "ssh_key_name": DEFAULT_SSH_KEY,
        "request_interval": 0.0,
        "launch_interval": 0.0,
        "timeout": 10.0,
        **overrides,
    }


@contextmanager
def test_double() -> Iterator[dict[str, Any]]:
    """Start an emulator, yield provider settings for it, stop it afterwards."""
    with LambdaEmulator() as emulator:
        yield settings_for(emulator)
