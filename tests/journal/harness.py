"""The parent's side of the process tests: test doubles that outlive the children, and counting."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from provider_core import (
    ListFilter,
    ProviderHandle,
    ProviderInstance,
    ProviderRegistry,
    RetryPolicy,
    discover,
)
from provider_core._config import CoreConfig
from provider_core.author import IDEMPOTENCY_TAG
from provider_core.testing._tools import is_alive
from tests.journal.child import RUN_TAG

ROOT = Path(__file__).resolve().parents[2]
# The sim, both HTTP emulators and AWS on moto: each double serves every process from the parent.
PROVIDERS = ("orbstack", "lambda", "runpod", "aws")


@contextmanager
def parent(provider: str, journal: str) -> Iterator[tuple[ProviderHandle, dict[str, Any]]]:
    """The provider's test double (in this process) and a handle on it sharing the journal."""
    registration = discover().registration(provider)
    profile = registration.compliance
    assert profile is not None
    assert profile.test_double is not None
    with profile.test_double() as settings:
        # The parent retries what is safe, as a control plane would (a loaded moto can time out once).
        registry = ProviderRegistry(CoreConfig(journal=journal, retry=RetryPolicy(base_delay=0.05)))
        registry.add(registration)
        try:
            yield registry.get(provider, **settings), dict(settings)
        finally:
            registry.close()


def start(spec: dict[str, Any]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.journal.child", json.dumps(spec)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def alive_by_key(handle: ProviderHandle, run: str) -> dict[str, list[ProviderInstance]]:
    found: dict[str, list[ProviderInstance]] = defaultdict(list)
    for instance in handle.list_instances(ListFilter(tags={RUN_TAG: run})):
        if is_alive(instance):
            found[instance.tags.get(IDEMPOTENCY_TAG, "")].append(instance)
    return dict(found)


def cleanup(handle: ProviderHandle, run: str) -> None:
    for instances in alive_by_key(handle, run).values():
        for instance in instances:
            handle.terminate(instance.id)
