from __future__ import annotations

from collections.abc import Iterator

import pytest

from provider_core import ProviderHandle, ProviderRegistry
from provider_core.testing.memory import registration


@pytest.fixture
def registry() -> Iterator[ProviderRegistry]:
    reg = ProviderRegistry()
    reg.add(registration())
    yield reg
    reg.close()


@pytest.fixture
def handle(registry: ProviderRegistry) -> ProviderHandle:
    return registry.get("memory")
