"""schemathesis against the shipped Lambda emulator, from the published 1.8.3 document (tests/contract.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from schemathesis import GenerationMode

from provider_lambda.testing import LambdaEmulator
from tests import contract
from tests.provider_lambda.spec import SPEC_NAME

# Every operation the emulator implements (postInstance, images, filesystems and firewalls are not).
OPERATIONS = [
    "listInstances",
    "getInstance",
    "listInstanceTypes",
    "launchInstance",
    "terminateInstance",
    "listSSHKeys",
    "addSSHKey",
    "deleteSSHKey",
]


@pytest.fixture(scope="module")
def served() -> Iterator[LambdaEmulator]:
    with LambdaEmulator() as emulator:
        yield emulator


@pytest.mark.parametrize("mode", contract.MODES, ids=str)
@pytest.mark.parametrize("operation", OPERATIONS)
def test_emulator_follows_the_published_spec(
    served: LambdaEmulator, operation: str, mode: GenerationMode
) -> None:
    contract.check_served(served, SPEC_NAME, operation, mode)
