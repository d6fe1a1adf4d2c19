"""Fixtures: one real Slurm cluster per test session (per xdist worker), and handles built on it.

Without Slurm's binaries the cluster tests skip with how to install them; under CI=true they fail.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from provider_core import ProviderHandle, ProviderRegistry
from provider_slurm import registration
from provider_slurm.testing import INSTALL_HINT, Cluster, missing_binaries, running_cluster, settings_for


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    missing = missing_binaries()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"Slurm is not installed ({', '.join(missing)} missing): {INSTALL_HINT}")
    with running_cluster() as running:
        yield running


@pytest.fixture
def make_handle(cluster: Cluster) -> Iterator[Callable[..., ProviderHandle]]:
    """make_handle(**setting overrides): a handle on the session's cluster, closed after the test."""
    registry = ProviderRegistry()
    registry.add(registration)

    def make(**overrides: Any) -> ProviderHandle:
        return registry.get("slurm", **settings_for(cluster, **overrides))

    yield make
    registry.close()


@pytest.fixture
def handle(make_handle: Callable[..., ProviderHandle]) -> ProviderHandle:
    return make_handle()
