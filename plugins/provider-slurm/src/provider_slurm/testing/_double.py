"""The compliance suite's entry: a real one-node Slurm cluster and the settings that point at it.

Without Slurm's binaries the double raises unittest.SkipTest (pytest skips, the demo skips the provider)
with how to install them; under CI=true it fails instead, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
import unittest
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from provider_slurm.testing._cluster import INSTALL_HINT, Cluster, missing_binaries, running_cluster


def settings_for(cluster: Cluster, **overrides: Any) -> dict[str, Any]:
    return {
        "conf": str(cluster.conf),
        "cluster": cluster.cluster,
        "job_root": str(cluster.root / "jobs"),
        "command_timeout": 20.0,
        **overrides,
    }


@contextmanager
def test_double() -> Iterator[dict[str, Any]]:
    """Start munged, slurmctld and slurmd; yield provider settings for them; stop them afterwards."""
    missing = missing_binaries()
    if missing and not os.environ.get("CI"):
        raise unittest.SkipTest(f"Slurm is not installed ({', '.join(missing)} missing): {INSTALL_HINT}")
    with running_cluster() as cluster:
        yield settings_for(cluster)
