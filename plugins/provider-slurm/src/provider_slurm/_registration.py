"""What provider-slurm publishes under the `provider_core.providers` entry point `slurm`."""

from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Any

from provider_core import Capabilities, Tier
from provider_core.author import ComplianceProfile, ProviderRegistration
from provider_slurm._settings import SlurmSettings

# GPUs through GRES; idempotency is tag-and-list on the job's comment. No snapshots, spot market, volumes,
# networking or regions: a cluster is one place (SpawnOptions.region may name it, nothing more).
CAPABILITIES = Capabilities(gpu=True, idempotent_spawn=True)


def _test_double() -> AbstractContextManager[Mapping[str, Any]]:
    # Imported on use: discovery never loads the test double.
    from provider_slurm.testing import test_double

    return test_double()


registration = ProviderRegistration(
    name="slurm",
    tier=Tier.ADDITIONAL,
    capabilities=CAPABILITIES,
    # A path: discovery reads the registration without importing the provider.
    provider="provider_slurm._provider:SlurmProvider",
    settings=SlurmSettings,
    compliance=ComplianceProfile(instance_type="debug:cpu1-mem64m", test_double=_test_double),
    description="Slurm allocations (sbatch/squeue/scancel) as instances",
)
