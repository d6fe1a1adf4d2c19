"""Providers for the CLI tests, installed through a throwaway distribution (see conftest.py).

The core's in-memory provider keeps its instances in a JSON file here, so separate `providers` processes
see the same instances. Settings and a few switches let tests provoke each kind of failure.
"""

from __future__ import annotations

import itertools
import sys
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs
from cattrs.preconf.json import make_converter

from provider_core import ErrorCode, ListFilter, ProviderError, ProviderInstance, SpawnOptions, to_jsonable
from provider_core.author import MANAGED_TAG, ComplianceProfile, ProviderRegistration, parsers, setting
from provider_core.testing import memory

STATE_ENV = "MEMFAKE_STATE"
KEY_ENV = "MEMFAKE_API_KEY"
BAD_KEY = "bad-key"  # rejected with AUTH_ERROR when the provider is built
ECHO_PREFIX = "echo-"  # a careless provider quotes such a key in its error messages
FAIL_PREFIX = "fail."
BOOTSTRAP_TAG = "seen-bootstrap"  # instance type "fail.capacity_error" makes spawn raise CAPACITY_ERROR
STALL_ENV = "MEMFAKE_STALL"
REFUSE_ENV = "MEMFAKE_REFUSE"
STALLS = "memfake: stalls in"  # written to stderr when a call starts to hang, so a test knows when


@attrs.frozen
class FakeSettings:
    state: str | None = setting(None, description="JSON file holding the instances", env=STATE_ENV)
    api_key: str | None = setting(None, description="API key", env=KEY_ENV, secret=True)
    region: str = setting("mem-east", description="default region")
    boot_reads: int = setting(0, description="reads before an instance runs", parse=parsers.count)
    # A request whose answer never comes: the first call (per process) of each method named never returns.
    stall: str = setting("", description="methods whose first call hangs (comma-separated)", env=STALL_ENV)
    refuse: str = setting("", description="methods that raise UNAVAILABLE (comma-separated)", env=REFUSE_ENV)


_converter = make_converter()


class FileMemoryProvider(memory.MemoryProvider):
    def __init__(self, settings: FakeSettings) -> None:
        super().__init__(memory.MemorySettings(region=settings.region, boot_reads=settings.boot_reads))
        self.api_key = settings.api_key
        if self.api_key == BAD_KEY:
            raise ProviderError(ErrorCode.AUTH_ERROR, "the API key was rejected", provider=self.name)
        if settings.state is None:
            raise ValueError(f"setting 'state' is required (or {STATE_ENV})")
        self.path = Path(settings.state)
        if self.path.exists():
            for instance in _converter.loads(self.path.read_text(), list[ProviderInstance]):
                self.instances[instance.id] = instance
        self._ids = itertools.count(len(self.instances) + 1)
        self.stall = set(filter(None, settings.stall.split(",")))
        self.refuse = set(filter(None, settings.refuse.split(",")))

    def _save(self) -> None:
        self.path.write_text(_converter.dumps([to_jsonable(i) for i in self.instances.values()]))

    def _misbehave(self, method: str) -> None:
        if method in self.refuse:
            raise ProviderError(ErrorCode.UNAVAILABLE, f"{method} refused", provider=self.name)
        if method in self.stall:
            self.stall.discard(method)
            print(f"{STALLS} {method}", file=sys.stderr, flush=True)
            threading.Event().wait()  # forever, unless Ctrl-C interrupts the main thread

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        self._misbehave("list_instances")
        return list(super().list_instances(filter))

    def spawn(self, options: SpawnOptions) -> ProviderInstance:
        if options.instance_type.startswith(FAIL_PREFIX):
            code = ErrorCode(options.instance_type.removeprefix(FAIL_PREFIX).upper())
            quoted = f" (key {self.api_key})" if self.api_key and self.api_key.startswith(ECHO_PREFIX) else ""
            raise ProviderError(code, f"spawn refused{quoted}", provider=self.name)
        if options.bootstrap is not None:
            # Made visible so tests can see which script reached the provider.
            seen = f"{options.bootstrap.format.value}:{options.bootstrap.checksum[:12]}"
            options = attrs.evolve(options, tags={**options.tags, BOOTSTRAP_TAG: seen})
        instance = super().spawn(options)
        self._save()
        self._misbehave("spawn")  # after creating: the cloud made the instance, its answer is lost
        return instance

    def terminate(self, provider_id: str) -> None:
        self._misbehave("terminate")
        super().terminate(provider_id)
        self._save()


class LeakyProvider(FileMemoryProvider):
    """Says it terminated, terminates nothing: the demo's leak check has to catch it."""

    name = "leaky"

    def terminate(self, provider_id: str) -> None:
        return None


class GrowingProvider(FileMemoryProvider):
    """A busy account: right after its first listing, a new instance matching that listing appears."""

    name = "growing"
    NEWCOMER = "newcomer"

    def __init__(self, settings: FakeSettings) -> None:
        super().__init__(settings)
        self._grown = False

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        listed = list(super().list_instances(filter))
        if not self._grown:
            self._grown = True
            wanted = filter or ListFilter()
            tags = {**wanted.tags, MANAGED_TAG: "true"}
            self.spawn(SpawnOptions(name=self.NEWCOMER, instance_type="mem.small", tags=tags))
        return listed


class TwinProvider(FileMemoryProvider):
    """Published under one name by two distributions, to see which registration the CLI uses."""

    name = "twin"


@contextmanager
def memory_double() -> Iterator[dict[str, str]]:
    with tempfile.TemporaryDirectory(prefix="memfake-") as folder:
        yield {"state": str(Path(folder) / "state.json")}


def noop_workflow(context: object) -> str:
    """Does nothing, to be listed by `providers info`."""
    return "noop"


def _profile() -> ComplianceProfile:
    return ComplianceProfile(
        instance_type="mem.small", region="mem-east", alt_region="mem-west", test_double=memory_double
    )


def registration() -> ProviderRegistration:
    return memory.registration(
        provider=FileMemoryProvider,
        settings=FakeSettings,
        compliance=_profile(),
        workflows={"noop": noop_workflow},
        version=None,
    )


def leaky_registration() -> ProviderRegistration:
    return memory.registration(
        name="leaky", provider=LeakyProvider, settings=FakeSettings, compliance=_profile(), version=None
    )


def growing_registration() -> ProviderRegistration:
    return memory.registration(
        name="growing", provider=GrowingProvider, settings=FakeSettings, compliance=_profile(), version=None
    )


def twin_registration() -> ProviderRegistration:
    return memory.registration(
        name="twin", provider=TwinProvider, settings=FakeSettings, compliance=_profile(), version=None
    )


def no_double_registration() -> ProviderRegistration:
    """A provider the demo cannot run offline: it has no test double."""
    return memory.registration(
        name="nodouble",
        provider=FileMemoryProvider,
        settings=FakeSettings,
        compliance=ComplianceProfile(instance_type="mem.small"),
        version=None,
    )
