"""`providers demo`: every installed provider exercised offline against its local test double."""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from provider_core import ProviderRegistry, discover
from provider_core.author import resolve_settings
from provider_core.cli._chaos import CHAOS_ENV, find_chaos_plugin
from provider_core.cli._common import (
    ExitCode,
    json_option,
    lookup,
    parse_pairs,
    provider_settings,
)
from provider_core.cli._demo_flow import CLEANUP_STEPS, DEMO_TAG, STEPS, DemoRun, ProviderDemo
from provider_core.cli._interrupt import (
    INTERRUPT_GRACE,
    CleanupCut,
    bounded,
    command_text,
    leave_behind,
)
from provider_core.cli._output import Output, table
from provider_core.cli._record import MARKS, Recorder, StepResult

DEFAULT_CHAOS_TARGET = "orbstack"


def _selection(registry: ProviderRegistry, wanted: Sequence[str]) -> tuple[list[str], dict[str, str]]:
    """The working providers to run and the broken ones to report (all of them unless --provider)."""
    broken = registry.broken()
    if not wanted:
        return registry.names(), broken
    chosen = list(dict.fromkeys(wanted))
    working = set(registry.names())
    for name in chosen:
        if name not in working and name not in broken:
            lookup(registry, name)  # raises: unknown provider
    # A name both working and broken (two distributions publish it) runs the working registration.
    return [n for n in chosen if n in working], {n: broken[n] for n in chosen if n not in working}


def _overrides(out: Output, registry: ProviderRegistry, pairs: Sequence[str]) -> dict[str, dict[str, str]]:
    """--set PROVIDER.KEY=VALUE, applied on top of what the provider's test double yields."""
    scoped: dict[str, dict[str, str]] = {}
    for key, value in parse_pairs(pairs, "--set").items():
        provider, dot, setting = key.partition(".")
        if not dot or not setting:
            raise click.UsageError("demo settings are scoped to a provider: --set PROVIDER.KEY=VALUE")
        scoped.setdefault(provider, {})[setting] = value
    for provider, settings in scoped.items():
        registration = lookup(registry, provider)
        try:
            registration.check_setting_names(settings)
            if registration.settings is not None:  # a bad value is a usage error too, not a failed step
                resolve_settings(registration.settings, settings, provider=provider)
        except ValueError as exc:
            raise click.UsageError(str(exc)) from None
        provider_settings(out, registration, settings)
    return scoped


def _chaos_target(names: list[str], requested: str | None, disabled: bool) -> str | None:
    if disabled or not names:
        return None
    if requested is not None:
        if requested not in names:
            raise click.UsageError(f"--chaos {requested}: not among the providers of this run")
        return requested
    return DEFAULT_CHAOS_TARGET if DEFAULT_CHAOS_TARGET in names else names[0]


@contextmanager
def _sigint_held() -> Iterator[None]:
    block = getattr(signal, "pthread_sigmask", None)
    if block is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    block(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        block(signal.SIG_UNBLOCK, {signal.SIGINT})


class Lane:
    """Providers run one after the other in a daemon thread: a lane each, or one for --serial.

    A daemon thread, not an executor's worker: one stuck in a provider call must not hold up the exit.
    """

    def __init__(self, run: DemoRun, demos: list[ProviderDemo]) -> None:
        self.demos = demos
        self.current: ProviderDemo | None = None
        self.failure: Exception | None = None  # a bug, raised again in the main thread
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(run,), name="providers-demo", daemon=True)

    def _run(self, run: DemoRun) -> None:
        try:
            for demo in self.demos:
                self.current = demo
                if run.stop.is_set():
                    for step in STEPS:
                        run.recorder.skip(demo.name, step, "interrupted (Ctrl-C)")
                else:
                    demo.execute()
            self.current = None
        except Exception as exc:
            self.failure = exc
        finally:
            self.done.set()


def _wind_down(run: DemoRun, lanes: list[Lane]) -> tuple[list[Lane], list[dict[str, Any]]]:
    """After Ctrl-C: wait while providers clean up. One that finishes no step for INTERRUPT_GRACE seconds
    is stuck in a provider call (every one is, at a second Ctrl-C) and left behind; its cleanup is tried
    from here, within INTERRUPT_GRACE again, and what it could not do is reported. Returns the lanes left
    behind and those reports."""
    since = time.monotonic()
    with contextlib.suppress(KeyboardInterrupt):  # a second Ctrl-C: stop waiting at once
        while busy := [lane for lane in lanes if not lane.done.is_set()]:
            quiet = time.monotonic() - max(since, run.recorder.last_change)
            if quiet >= INTERRUPT_GRACE:
                break
            busy[0].done.wait(INTERRUPT_GRACE - quiet)
    stuck = [lane for lane in lanes if not lane.done.is_set()]
    demos = [lane.current for lane in stuck if lane.current is not None]
    stuck_in = {demo.name: run.recorder.current.get(demo.name) for demo in demos}

    def clean_up() -> None:
        # Through the stuck provider's handle: the call that hangs may be the only one that does.
        for demo in demos:
            if demo.handle is not None:
                demo.clean_up()

    with contextlib.suppress(CleanupCut):
        bounded(clean_up, INTERRUPT_GRACE)
    reports = [_left_behind(run, demo, stuck_in[demo.name]) for demo in demos]
    run.recorder.freeze()
    return stuck, reports


def _left_behind(run: DemoRun, demo: ProviderDemo, step: str | None) -> dict[str, Any]:
    """Record and report what a provider left behind in a stuck call did not get done."""
    results = {r.step: r.status for r in run.recorder.results if r.provider == demo.name}
    # Without a handle nothing was spawned: only the test double may need stopping.
    needed = CLEANUP_STEPS if demo.handle is not None else ("stop",)
    not_done = [s for s in needed if results.get(s) != "ok"]
    where = f"step '{step}'" if step else "between steps"
    for missing in dict.fromkeys([*([step] if step else []), *not_done]):
        if missing not in results:
            why = "a provider call did not return" if missing == step else f"not done: stuck in {where}"
            run.recorder.fail(demo.name, missing, f"{why} (left behind after Ctrl-C)")
    parts = [
        f"{demo.name}: a provider call in {where} did not return within {INTERRUPT_GRACE:g}s of Ctrl-C; "
        f"not done: {', '.join(not_done)}"
    ]
    command = None
    if {"terminate", "leaks"} & set(not_done):
        # With the double's own settings, which reach it while it is still there (one inside this process
        # ends with it).
        settings = {k: v for k, v in demo.settings.items() if isinstance(v, str | int | float | Path)}
        words = ["sweep", demo.name, "--tag", f"{DEMO_TAG}={run.run_id}", "--yes"]
        command = command_text(run.out, words, settings)
        parts.append(f"instances it spawned may be left in its test double: remove them with {command}")
    if "stop" in not_done:
        parts.append(
            "its test double was not stopped: files or processes it keeps outside this one may be left"
        )
    run.out.warn("; ".join(parts))
    return {"name": demo.name, "step": step, "not_done": not_done, "command": command}


def _summary_data(run: DemoRun, names: list[str], broken: dict[str, str], seconds: float) -> dict[str, Any]:
    by_provider: dict[str, list[StepResult]] = {}
    for result in run.recorder.results:
        by_provider.setdefault(result.provider, []).append(result)
    providers = [
        {
            "name": name,
            "seconds": round(sum(r.seconds for r in by_provider.get(name, [])), 2),
            "steps": [
                {"step": r.step, "status": r.status, "seconds": round(r.seconds, 3), "detail": r.detail}
                for step in STEPS
                for r in by_provider.get(name, [])
                if r.step == step
            ],
        }
        for name in names
    ]
    failed = len(run.recorder.failed()) + len(broken)
    # A run in which no step ran proved nothing: it is not a pass.
    ran = any(r.status in ("ok", "failed") for r in run.recorder.results)
    return {
        "ok": failed == 0 and ran and not run.stop.is_set(),
        "interrupted": run.stop.is_set(),
        "nothing_ran": not ran,
        "run_id": run.run_id,
        "seconds": round(seconds, 2),
        "chaos_target": run.chaos_target,
        "chaos_skipped": run.chaos_skip_reason if run.chaos_target is None else None,
        "providers": providers,
        "broken": broken,
        "failed_steps": failed,
    }


def _show_summary(out: Output, data: dict[str, Any]) -> None:
    # Steps as rows, providers as columns: fits 80 columns for any realistic number of providers.
    marks = {p["name"]: {s["step"]: MARKS[s["status"]] for s in p["steps"]} for p in data["providers"]}
    marks.update({name: {STEPS[0]: "BROKEN"} for name in data["broken"]})
    rows: list[tuple[object, ...]] = [(step, *(m.get(step, "-") for m in marks.values())) for step in STEPS]
    rows.append(
        ("time", *(f"{p['seconds']:.1f}s" for p in data["providers"]), *("-" for _ in data["broken"]))
    )
    out.print(table(("step", *marks), rows, title=f"providers demo, run {data['run_id']}"))
    for provider in data["providers"]:
        for step in provider["steps"]:
            if step["step"] == "chaos" and step["status"] == "ok":
                out.out.print(f"{provider['name']} {step['step']}: {step['detail']}", soft_wrap=True)
            if step["status"] == "failed":
                out.out.print(
                    f"{provider['name']} {step['step']} FAILED: {step['detail']}", style="red", soft_wrap=True
                )
    for name, reason in data["broken"].items():
        out.out.print(f"{name} is broken: {reason}", style="red", soft_wrap=True)
    if data["chaos_skipped"]:
        out.print(f"chaos: skipped - {data['chaos_skipped']}")
    if data["interrupted"]:
        verdict = "INTERRUPTED"
    elif data["nothing_ran"] and not data["failed_steps"]:
        verdict = "did not run: every step was skipped"
    else:
        verdict = "passed" if data["ok"] else f"FAILED ({data['failed_steps']} step(s))"
    out.out.print(
        f"demo {verdict} in {data['seconds']:.1f}s", style="bold green" if data["ok"] else "bold red"
    )


@click.command("demo")
@click.option(
    "--provider", "providers", multiple=True, metavar="NAME", help="Only this provider (repeatable)."
)
@click.option("--instances", default=2, show_default=True, type=click.IntRange(1, 10), help="Per provider.")
@click.option("--chaos", "chaos", metavar="NAME", help="Provider to inject chaos into (default: orbstack).")
@click.option("--no-chaos", is_flag=True, help="Skip the chaos step.")
@click.option("--seed", default=7, show_default=True, help="Seed of the injected chaos.")
@click.option("--timeout", default=30.0, show_default=True, type=click.FloatRange(min=1), help="Per wait.")
@click.option("--serial", is_flag=True, help="One provider at a time instead of all at once.")
@click.option(
    "--set",
    "settings",
    multiple=True,
    metavar="PROVIDER.KEY=VALUE",
    help="A provider's setting, over what its test double yields (repeatable).",
)
@json_option
@click.pass_obj
def demo_command(
    out: Output,
    providers: tuple[str, ...],
    instances: int,
    chaos: str | None,
    no_chaos: bool,
    seed: int,
    timeout: float,
    serial: bool,
    settings: tuple[str, ...],
    as_json: bool,
) -> int:
    """Run every provider offline: spawn with bootstraps, list, heartbeat, chaos, terminate, check leaks.

    Each provider runs against its local test double (moto, API emulators, the OrbStack sim), so no
    credentials or network are needed. Exits 1 if any step failed.
    """
    started = time.monotonic()
    registry = discover()
    names, broken = _selection(registry, providers)
    if not names and not broken:
        raise click.UsageError("no providers are installed")
    target = _chaos_target(names, chaos, no_chaos)
    plugin, why = find_chaos_plugin(registry) if target else (None, "disabled by --no-chaos")
    token = secrets.token_urlsafe(24)
    out.secret(token)
    recorder = Recorder(out, STEPS)
    run = DemoRun(
        registry=registry,
        out=out,
        recorder=recorder,
        run_id=secrets.token_hex(4),
        token=token,
        instances=instances,
        timeout=timeout,
        seed=seed,
        chaos_target=target if plugin else None,
        chaos_skip_reason=why,
        overrides=_overrides(out, registry, settings),
    )
    inherited = os.environ.pop(CHAOS_ENV, None)
    if inherited is not None:
        out.warn(f"ignoring {CHAOS_ENV} from the environment: the demo injects its own chaos")
    out.note(f"providers demo {run.run_id}: {', '.join(names) or 'none'} (offline, local test doubles only)")
    demos = [ProviderDemo(run, name) for name in names]
    lanes = [Lane(run, demos)] if serial else [Lane(run, [demo]) for demo in demos]
    stuck: list[Lane] = []
    reports: list[dict[str, Any]] = []
    try:
        with recorder.live(names):
            try:
                # A Ctrl-C while lanes start could leave one running unseen: SIGINT is held back while
                # starting them and delivered right after, in this try.
                with _sigint_held():
                    for lane in lanes:
                        lane.thread.start()
                for lane in lanes:
                    lane.done.wait()
            except KeyboardInterrupt:
                # Waits end at once; each provider terminates what it spawned and stops its double.
                run.stop.set()
                out.warn("interrupted: terminating what the demo spawned and stopping the test doubles")
                stuck, reports = _wind_down(run, lanes)
    finally:
        if inherited is not None:
            os.environ[CHAOS_ENV] = inherited
        if stuck:
            leave_behind([lane.thread for lane in stuck])
        else:
            # Not with a provider left behind: its handle's close() would wait for the stuck call.
            registry.close()
    for lane in lanes:
        if lane.failure is not None:
            raise lane.failure
    data = _summary_data(run, names, broken, time.monotonic() - started)
    data["stuck"] = reports
    if as_json:
        out.json(data)
    else:
        _show_summary(out, data)
    if run.stop.is_set():
        return ExitCode.INTERRUPTED
    return ExitCode.OK if data["ok"] else ExitCode.FAILURE
