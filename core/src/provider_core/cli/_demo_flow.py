"""One provider's part of `providers demo`, from starting its test double to proving nothing leaked."""

from __future__ import annotations

import threading
import unittest
from collections.abc import Mapping
from contextlib import ExitStack
from typing import Any

from attrs import define, field

from provider_core import (
    BootstrapConfig,
    BootstrapScript,
    DriftKind,
    InstanceStatus,
    ListFilter,
    ProviderHandle,
    ProviderRegistry,
    SpawnOptions,
    WaitTimeout,
    wait_for,
)
from provider_core._wait import poll
from provider_core.author import GONE_STATUSES
from provider_core.cli._chaos import (
    POLICY,
    chaos_env,
    check_drift,
    drift_config,
    fault_config,
    spawn_through_fault,
)
from provider_core.cli._output import Output
from provider_core.cli._record import Recorder, StepFailed, StepInterrupted, StepNotApplicable, StepSkipped

STEPS = ("start", "bootstrap", "spawn", "list", "heartbeat", "chaos", "terminate", "leaks", "stop")
CLEANUP_STEPS = STEPS[-3:]
DEMO_TAG = "providers-demo"
# The demo never contacts a control plane; the URL only has to be valid in the script.
DEMO_CONTROL_PLANE = "http://127.0.0.1:8080"
POLL_INTERVAL = 0.2


@define
class DemoRun:
    """What every provider's run shares."""

    registry: ProviderRegistry
    out: Output
    recorder: Recorder
    run_id: str
    token: str
    instances: int
    timeout: float
    seed: int
    chaos_target: str | None
    chaos_skip_reason: str
    overrides: Mapping[str, Mapping[str, str]] = field(factory=dict)
    # Set on Ctrl-C: every wait ends at once and the remaining steps are skipped; cleanup still runs.
    stop: threading.Event = field(factory=threading.Event)

    def pause(self, seconds: float) -> None:
        """Sleep, unless interrupted: then raise StepInterrupted at once."""
        if self.stop.wait(seconds):
            raise StepInterrupted("interrupted (Ctrl-C)")


def wait_running(run: DemoRun, handle: ProviderHandle, ids: list[str]) -> None:
    for instance_id in ids:
        try:
            found = wait_for(
                handle, instance_id, timeout=run.timeout, interval=POLL_INTERVAL, sleep=run.pause
            )
        except WaitTimeout as exc:
            raise StepFailed(f"not running after {run.timeout:g}s: {instance_id}") from exc
        if found is None or found.status is not InstanceStatus.RUNNING:
            status = found.status.value if found else "gone"
            raise StepFailed(f"{instance_id} is {status} while waiting for it to run")


class ProviderDemo:
    """The steps for one provider; spawned ids are kept so cleanup runs whatever failed before."""

    def __init__(self, run: DemoRun, name: str) -> None:
        self.run = run
        self.name = name
        self.registration = run.registry.registration(name)
        self.ids: list[str] = []
        self.handle: ProviderHandle | None = None
        self.settings: dict[str, Any] = {}  # what the test double yielded, with --set on top
        self.script: BootstrapScript | None = None
        self.known_orphans: set[str] = set()
        # Cleanup (terminate, leaks) runs once: in this provider's thread, or in the main thread when this
        # one is stuck in a provider call.
        self._cleanup = threading.Lock()

    def options(self, index: int) -> SpawnOptions:
        profile = self.registration.compliance
        assert profile is not None
        assert self.script is not None
        key = f"demo-{self.run.run_id}-{index}"
        return SpawnOptions(
            name=key,
            instance_type=profile.instance_type,
            region=profile.region,
            image=profile.image,
            bootstrap=self.script,
            tags={DEMO_TAG: self.run.run_id},
            # Where supported, the key makes retrying a spawn safe from duplicates.
            idempotency_key=key if self.registration.capabilities.idempotent_spawn else None,
        )

    def execute(self) -> None:
        rec = self.run.recorder
        profile = self.registration.compliance
        if profile is None or profile.test_double is None:
            for step in STEPS:
                rec.skip(self.name, step, "no local test double; the demo never contacts a real cloud")
            return
        stack = ExitStack()
        started = False
        try:
            with rec.step(self.name, "start", "starting the local test double") as note:
                try:
                    self.settings = settings = dict(stack.enter_context(profile.test_double()))
                except unittest.SkipTest as exc:
                    # A double that needs software missing here (a real Slurm) skips, as under pytest.
                    raise StepSkipped(f"test double unavailable: {exc}") from None
                settings.update(self.run.overrides.get(self.name, {}))
                for setting in self.registration.declared_settings():
                    if setting.secret and isinstance(settings.get(setting.name), str):
                        self.run.out.secret(settings[setting.name])
                self.handle = self.run.registry.get(self.name, **settings)
                # The demo's short delays: it shows recoveries, it does not wait out a real throttle.
                self.handle.retry_policy = POLICY
                stack.callback(self.handle.close)
                note.detail = f"settings: {', '.join(sorted(settings)) or 'none'}"
                started = True
            if started:
                self.steps()
            else:
                for step in STEPS[1:-1]:
                    rec.skip(self.name, step, "the test double did not start")
        finally:
            with rec.step(self.name, "stop", "stopping the test double") as note:
                stack.close()
                note.detail = "provider closed, test double stopped"

    def steps(self) -> None:
        rec = self.run.recorder
        chain = [
            ("bootstrap", "rendering the bootstrap script", self.step_bootstrap),
            ("spawn", f"spawning {self.run.instances} instance(s)", self.step_spawn),
            ("list", "listing instances", self.step_list),
            ("heartbeat", "health check and reconcile", self.step_heartbeat),
            ("chaos", "injecting chaos", self.step_chaos),
        ]
        try:
            for index, (step, doing, action) in enumerate(chain):
                if self.run.stop.is_set():
                    for later, _, _ in chain[index:]:
                        rec.skip(self.name, later, "interrupted (Ctrl-C)")
                    break
                with rec.step(self.name, step, doing) as note:
                    note.detail = action()
                if not note.ok:
                    for later, _, _ in chain[index + 1 :]:
                        rec.skip(self.name, later, f"skipped after '{step}' failed")
                    break
        finally:
            # Cleanup runs whatever happened above, an interrupt that escaped a step included.
            self.clean_up()

    def clean_up(self) -> None:
        """The terminate and leaks steps, unless they already ran or are running in another thread."""
        if not self._cleanup.acquire(blocking=False):
            return
        rec = self.run.recorder
        with rec.step(self.name, "terminate", "terminating everything") as note:
            note.detail = self.step_terminate()
        with rec.step(self.name, "leaks", "checking nothing leaked") as note:
            note.detail = self.step_leaks()

    def step_bootstrap(self) -> str:
        assert self.handle is not None
        config = BootstrapConfig(
            control_plane_url=DEMO_CONTROL_PLANE,
            instance_token=self.run.token,
            env={"PROVIDER_CORE_DEMO_RUN": self.run.run_id},
        )
        self.script = self.handle.generate_bootstrap(config)
        if not self.script.verify():
            raise StepFailed("the script's checksum does not match its content")
        size = len(self.script.content)
        return f"{self.script.format.value}, {size} bytes, sha256 {self.script.checksum[:12]}"

    def step_spawn(self) -> str:
        assert self.handle is not None
        handle = self.handle
        for index in range(self.run.instances):
            options = self.options(index)
            self.ids.append(handle.spawn(options).id)
        wait_running(self.run, handle, self.ids)
        return f"{len(self.ids)} running with a bootstrap: {', '.join(self.ids)}"

    def step_list(self) -> str:
        assert self.handle is not None
        listed = {i.id for i in self.handle.list_instances(ListFilter(tags={DEMO_TAG: self.run.run_id}))}
        absent = [i for i in self.ids if i not in listed]
        if absent:
            raise StepFailed(f"spawned but not listed: {', '.join(absent)}")
        return f"{len(listed)} listed with tag {DEMO_TAG}={self.run.run_id}"

    def step_heartbeat(self) -> str:
        assert self.handle is not None
        health = self.handle.health_check()
        if not health.healthy:
            raise StepFailed(f"health check failed: {health.message}")
        report = self.handle.reconcile(dict.fromkeys(self.ids, InstanceStatus.RUNNING))
        ours = [d for d in report.drift if d.instance_id in self.ids]
        if ours:
            raise StepFailed("unexpected drift: " + ", ".join(f"{d.instance_id} {d.kind}" for d in ours))
        # Managed instances from outside this run are the backend's business, not drift of ours.
        self.known_orphans = {d.instance_id for d in report.drift if d.kind is DriftKind.UNEXPECTED}
        others = f", {len(self.known_orphans)} other managed instance(s)" if self.known_orphans else ""
        return f"healthy ({health.latency_s * 1000:.0f} ms); reconcile: no drift{others}"

    def step_chaos(self) -> str:
        if self.run.chaos_target != self.name:
            if self.run.chaos_target:
                raise StepNotApplicable(f"chaos goes to {self.run.chaos_target} only")
            raise StepSkipped(self.run.chaos_skip_reason)
        assert self.handle is not None
        with chaos_env(self.run.registry, fault_config(self.name, self.run.seed)):
            instance, fault = spawn_through_fault(
                self.run.registry, self.handle, self.options(self.run.instances)
            )
        self.ids.append(instance.id)
        wait_running(self.run, self.handle, [instance.id])
        expected = dict.fromkeys(self.ids, InstanceStatus.RUNNING)
        with chaos_env(self.run.registry, drift_config(self.name, self.run.seed)):
            drift = check_drift(self.handle, expected, self.known_orphans)
        return f"{fault}; {drift}"

    def _tagged_alive(self) -> list[str]:
        assert self.handle is not None
        tagged = self.handle.list_instances(ListFilter(tags={DEMO_TAG: self.run.run_id}))
        return [i.id for i in tagged if i.status not in GONE_STATUSES]

    def step_terminate(self) -> str:
        if self.handle is None:
            return "nothing spawned"
        handle = self.handle
        # Anything carrying this run's tag goes too, in case a retried spawn left a duplicate behind.
        targets = list(dict.fromkeys([*self.ids, *self._tagged_alive()]))
        for instance_id in targets:
            # Not interruptible: this is the cleanup a Ctrl-C waits for.
            handle.terminate(instance_id)
        self.ids = targets
        return f"{len(targets)} terminated"

    def step_leaks(self) -> str:
        handle = self.handle
        assert handle is not None

        def alive() -> set[str]:
            found = set(self._tagged_alive())
            for instance_id in self.ids:
                instance = handle.get_instance(instance_id)
                if instance is not None and instance.status not in GONE_STATUSES:
                    found.add(instance_id)
            return found

        # After a Ctrl-C, one look: the user is waiting for the command to end.
        timeout = 0.0 if self.run.stop.is_set() else self.run.timeout
        clean, left = poll(alive, lambda ids: not ids, timeout, max_delay=POLL_INTERVAL, sleep=self.run.pause)
        if not clean:
            raise StepFailed(f"still alive after {timeout:g}s: {', '.join(sorted(left))}")
        return f"none: all {len(self.ids)} instance(s) gone"
