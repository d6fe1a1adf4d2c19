"""`providers demo`: every installed provider exercised offline against its local test double."""

from __future__ import annotations

import os
import secrets
import signal
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
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
from provider_core.cli._demo_flow import STEPS, DemoRun, ProviderDemo
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
    try:
        with (
            recorder.live(names),
            ThreadPoolExecutor(max_workers=1 if serial else max(1, len(names))) as pool,
        ):
            futures: list[Future[None]] = []
            try:
                # A Ctrl-C inside submit() could leave a started worker neither in `futures` nor joined by
                # the pool: SIGINT is held back while submitting and delivered right after, in this try.
                with _sigint_held():
                    for name in names:
                        futures.append(pool.submit(ProviderDemo(run, name).execute))
                for future in futures:
                    future.result()
            except KeyboardInterrupt:
                # Waits end at once; each provider terminates what it spawned and stops its double.
                run.stop.set()
                out.warn("interrupted: terminating what the demo spawned and stopping the test doubles")
                for future in futures:
                    future.result()
    finally:
        if inherited is not None:
            os.environ[CHAOS_ENV] = inherited
        registry.close()
    data = _summary_data(run, names, broken, time.monotonic() - started)
    if as_json:
        out.json(data)
    else:
        _show_summary(out, data)
    if run.stop.is_set():
        return ExitCode.INTERRUPTED
    return ExitCode.OK if data["ok"] else ExitCode.FAILURE
