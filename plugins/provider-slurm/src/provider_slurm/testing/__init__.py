"""The Slurm test double: a real one-node cluster from Debian's packages, for the suite and the tests."""

from provider_slurm.testing._cluster import (
    INSTALL_HINT,
    Cluster,
    SlurmUnavailable,
    missing_binaries,
    running_cluster,
)
from provider_slurm.testing._double import settings_for, test_double

__all__ = [
    "INSTALL_HINT",
    "Cluster",
    "SlurmUnavailable",
    "missing_binaries",
    "running_cluster",
    "settings_for",
    "test_double",
]
