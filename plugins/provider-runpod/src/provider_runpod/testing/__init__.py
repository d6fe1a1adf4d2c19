"""A local, stateful emulator of RunPod REST v2 pods and the GraphQL spot calls, for tests.

with test_double() as settings:                 # what the compliance suite uses
    provider = RunPodProvider(**settings)

with Emulator() as emulator:                    # for tests that turn the knobs
    emulator.account.capacity["NVIDIA RTX A4000"] = 0
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from provider_core.testing.kit import Exchange, Fault
from provider_runpod.testing._checks import Problem
from provider_runpod.testing._server import Emulator
from provider_runpod.testing._state import CATALOG, DATA_CENTERS, NO_CAPACITY, Account

__all__ = [
    "CATALOG",
    "DATA_CENTERS",
    "NO_CAPACITY",
    "Account",
    "Emulator",
    "Exchange",
    "Fault",
    "Problem",
    "test_double",
]


@contextmanager
def test_double() -> Iterator[dict[str, str]]:
    """Start an emulator on 127.0.0.1 (a free port) and yield the provider settings that reach it."""
    with Emulator(boot_reads=0) as emulator:
        yield emulator.settings
