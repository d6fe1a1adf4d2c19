"""Per-provider state of a suite run: the handle, what was created, and the leak check at the end."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import pytest
from attrs import define, field

from provider_core import (
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    SpawnOptions,
    resource_candidates,
    sweep,
)
from provider_core._wait import poll
from provider_core.author import ComplianceProfile
from provider_core.testing._tools import NAME_PREFIX, RUN_TAG, is_alive

T = TypeVar("T")


@define
class ProviderSession:
    handle: ProviderHandle
    run_id: str
    timeout: float
    created: dict[str, str] = field(factory=dict)  # instance id -> name asked for
    cleanup_failures: list[str] = field(factory=list)
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Any] = time.sleep
    # The first wait of this provider that ran out of time; once set, later waits look only once.
    timed_out: str | None = None
    _waited: str = ""
    _tests: Iterator[int] = field(factory=lambda: itertools.count(1))

    def wait(self, fetch: Callable[[], T], done: Callable[[T], bool], what: str = "a wait") -> tuple[bool, T]:
        """Poll fetch until done(value), for up to the timeout; return (done, last value).

        A provider that already let one wait run out has failed the suite: its later waits look once
        instead of waiting the full timeout again, so a provider that never boots or never terminates
        costs one timeout in total, not one per test (the failures say so: see waited()).
        """
        if self.timed_out is None:
            timeout, self._waited = self.timeout, f"{self.timeout:g}s"
        else:
            timeout, self._waited = 0.0, f"at one look (waits are cut short since {self.timed_out} timed out)"
        ok, value = poll(fetch, done, timeout, clock=self.clock, sleep=self.sleep)
        if not ok and self.timed_out is None:
            self.timed_out = what
        return ok, value

    def waited(self) -> str:
        """How long the last wait waited, for failure messages."""
        return self._waited

    @property
    def run_prefix(self) -> str:
        return f"{NAME_PREFIX}{self.run_id}-"

    def test_prefix(self) -> str:
        """A name prefix no other test of any run shares."""
        return f"{self.run_prefix}t{next(self._tests)}"

    def track(self, instance_id: str, name: str = "") -> None:
        self.created.setdefault(instance_id, name)

    def terminate_quietly(self, instance_id: str) -> None:
        try:
            self.handle.terminate(instance_id)
        except ProviderError as exc:
            self.cleanup_failures.append(f"terminate({instance_id}) raised {exc}")

    def survivors(self) -> dict[str, str]:
        """Instances this run created that the provider still reports alive: id -> how it reports them."""
        found: dict[str, str] = {}
        for instance_id in self.created:
            try:
                instance = self.handle.get_instance(instance_id)
            except ProviderError as exc:
                found[instance_id] = f"get_instance raised {exc}"
                continue
            if is_alive(instance):
                found[instance_id] = str(instance.status)
        try:
            listed = self.handle.list_instances()
        except ProviderError as exc:
            found["<list_instances>"] = f"raised {exc}"
            return found
        for instance in listed:
            # By name, this also catches what the suite never saw: a second instance from one spawn call.
            if instance.id in found or not is_alive(instance):
                continue
            if (instance.name or "").startswith(self.run_prefix):
                how = "listed" if instance.id in self.created else "never returned by spawn"
                found[instance.id] = f"{instance.status}, named {instance.name}, {how}"
        return found

    def leftover_resources(self) -> dict[str, str]:
        """Snapshots, spot requests, volumes (Provider.sweep_resources) this run left: id -> kind."""
        try:
            found = resource_candidates(self.handle, ListFilter(tags={RUN_TAG: self.run_id}))
        except ProviderError as exc:
            return {"<sweep_resources>": f"raised {exc}"}
        return {r.id: r.kind for r in found}

    def check_destroyed(self) -> None:
        """Terraform's CheckDestroy: after cleanup, nothing this run created may be alive."""
        clean, left = self.wait(self.survivors, lambda found: not found, "the leak check")
        if clean:
            self._check_resources()
            return
        for instance_id in left:
            if not instance_id.startswith("<"):
                self.terminate_quietly(instance_id)
        detail = ", ".join(f"{pid} ({how})" for pid, how in left.items())
        failures = f"; cleanup errors: {'; '.join(self.cleanup_failures)}" if self.cleanup_failures else ""
        pytest.fail(
            f"leak check (CheckDestroy): provider '{self.handle.name}' still reports instances the suite "
            f"created as alive {self.waited()} after they were terminated: {detail}{failures}",
            pytrace=False,
        )

    def _check_resources(self) -> None:
        left = self.leftover_resources()
        if not left:
            return
        try:
            sweep(self.handle, ListFilter(tags={RUN_TAG: self.run_id}))
        except ProviderError as exc:
            self.cleanup_failures.append(f"sweep raised {exc}")
        detail = ", ".join(f"{rid} ({kind})" for rid, kind in left.items())
        pytest.fail(
            f"leak check: provider '{self.handle.name}' still has resources the suite created (tagged "
            f"{RUN_TAG}={self.run_id}) after its tests: {detail}",
            pytrace=False,
        )


class Spawner:
    """The `spawn` fixture: spawns with the profile's cheap inputs and a unique name, tracks every id."""

    def __init__(self, session: ProviderSession, profile: ComplianceProfile) -> None:
        self.session = session
        self.profile = profile
        self.prefix = session.test_prefix()
        self.ids: list[str] = []

    def options(self, suffix: str = "i", **overrides: Any) -> SpawnOptions:
        """SpawnOptions named `<prefix>-<suffix>`; overrides replace fields, `tags` join the run tag."""
        tags = {RUN_TAG: self.session.run_id, **overrides.pop("tags", {})}
        fields: dict[str, Any] = {
            "name": f"{self.prefix}-{suffix}",
            "instance_type": self.profile.instance_type,
            "region": self.profile.region,
            "image": self.profile.image,
            "tags": tags,
            **overrides,
        }
        return SpawnOptions(**fields)

    def __call__(self, suffix: str = "i", **overrides: Any) -> ProviderInstance:
        options = self.options(suffix, **overrides)
        instance = self.session.handle.spawn(options)
        self.track(instance, options.name)
        return instance

    def fetch(self, instance_id: str) -> ProviderInstance:
        """get_instance, polled while an eventually consistent API does not show a fresh instance yet."""
        session = self.session
        _, found = session.wait(
            lambda: session.handle.get_instance(instance_id),
            lambda i: i is not None,
            "get_instance after spawn",
        )
        if found is None:
            pytest.fail(
                f"get_instance({instance_id!r}) still returns None {session.waited()} after spawn "
                "returned it",
                pytrace=False,
            )
        return found

    def alive_ids(self) -> list[str]:
        """Ids of the live instances list_instances reports under this test's name prefix."""
        listed = self.session.handle.list_instances()
        return [i.id for i in listed if (i.name or "").startswith(self.prefix) and is_alive(i)]

    def track(self, instance: ProviderInstance | str, name: str = "") -> None:
        """Register an instance (or id) for termination after the test and for the leak check."""
        instance_id = instance if isinstance(instance, str) else instance.id
        if instance_id not in self.ids:
            self.ids.append(instance_id)
        self.session.track(instance_id, name)

    def cleanup(self) -> None:
        for instance_id in self.ids:
            self.session.terminate_quietly(instance_id)
