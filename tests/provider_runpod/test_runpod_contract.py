"""schemathesis against the shipped RunPod emulator, from the published REST v2 document (tests/contract.py).

GraphQL has no published document: its shapes are checked by the spot tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis import GenerationMode

from provider_runpod.testing import Emulator
from tests import contract
from tests.provider_runpod.spec import SPEC_NAME

# Every REST operation the emulator implements.
OPERATIONS = ["listPods", "createPod", "getPod", "deletePod", "podAction"]


@pytest.fixture(scope="module")
def served() -> Iterator[Emulator]:
    with Emulator(boot_reads=0) as emulator:
        yield emulator


@pytest.mark.parametrize("mode", contract.MODES, ids=str)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_emulator_follows_the_published_spec(served: Emulator, operation: str, mode: GenerationMode) -> None:
    contract.check_served(served, SPEC_NAME, operation, mode)
