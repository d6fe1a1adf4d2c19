"""`providers check`: the compliance suite in a pytest subprocess, summarised readably."""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import click

from provider_core import ListFilter, ProviderError, SweepError, discover, sweep
from provider_core.cli._common import (
    REPORT_ENV,
    CliFailure,
    ExitCode,
    error_line,
    json_option,
    lookup,
    open_handle,
    parse_pairs,
    provider_settings,
    set_option,
)
from provider_core.cli._interrupt import INTERRUPT_GRACE, bounded, command_text
from provider_core.cli._output import Output, table
from provider_core.testing import RUN_TAG

# pytest's own exit statuses that are not "some tests failed".
_PYTEST_STATUS = {2: "interrupted", 3: "internal error", 4: "usage error", 5: "no tests collected"}


def _settings_env(out: Output, name: str, pairs: tuple[str, ...]) -> dict[str, str]:
    """--set values reach the suite's provider through the environment variables the provider reads."""
    registration = lookup(discover(), name)
    given = provider_settings(out, registration, parse_pairs(pairs, "--set"))
    env: dict[str, str] = {}
    for key, value in given.items():
        setting = registration.setting(key)
        if setting is None or not setting.env:
            raise click.UsageError(
                f"setting '{key}' of '{name}' has no environment variable; check cannot pass it"
            )
        env[setting.env] = value
    return env


# A test's result line under pytest -v: "path::test_x[name] PASSED   [ 40%]".
_RESULT = re.compile(
    r"::(?P<test>\S+) (?P<outcome>PASSED|FAILED|ERROR|SKIPPED|XFAIL|XPASS)\s+\[\s*(?P<pct>\d+)%\]"
)


def _run(out: Output, command: list[str], env: dict[str, str], verbose: bool) -> list[str]:
    """Run pytest; its output is kept, and streamed (with -v) or shown as a line per test, on stderr."""
    lines: list[str] = []
    with subprocess.Popen(
        command,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        # A group of its own: the kill after a Ctrl-C also reaches what pytest started (a test double's
        # daemons). Ctrl-C at the terminal reaches only this process, which passes it on.
        process_group=0,
    ) as process:
        assert process.stdout is not None
        try:
            for line in process.stdout:
                lines.append(line)
                if verbose:
                    out.stderr.write(line)
                elif found := _RESULT.search(line):
                    out.note(f"[{found['pct']:>3}%] {found['outcome'].lower():<7} {found['test']}")
        except KeyboardInterrupt:
            _stop(out, process)
            raise
    return lines


def _stop(out: Output, process: subprocess.Popen[str]) -> None:
    """SIGINT for pytest, whose teardowns terminate what each test spawned; after INTERRUPT_GRACE seconds
    (or at a second Ctrl-C), SIGKILL for its group. What the teardowns did not reach is swept after."""
    process.send_signal(signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired, KeyboardInterrupt):
        process.wait(timeout=INTERRUPT_GRACE)
    if process.returncode is None:  # not reaped yet, so the group id is still pytest's
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        out.warn("pytest had not finished its teardowns: killed it, and what it started")


def _sweep_run(out: Output, name: str, settings: tuple[str, ...], run_id: str, live: bool) -> None:
    """After Ctrl-C: remove what the interrupted suite left at NAME, found by its run tag."""
    if not live:
        out.warn(
            f"interrupted: the suite's instances lived in {name}'s local test double, which ended with "
            "pytest; its temporary files are removed"
        )
        return
    tag = f"{RUN_TAG}={run_id}"
    again = command_text(out, ["sweep", name, "--tag", tag, "--yes"], parse_pairs(settings, "--set"))
    out.warn(f"interrupted: sweeping what the suite left at {name} (tag {tag})")
    try:
        with open_handle(out, name, settings) as handle:
            removed = bounded(lambda: sweep(handle, ListFilter(tags={RUN_TAG: run_id})))
    except SweepError as exc:
        for error in exc.failures.values():
            error_line(out, error)
        removed = exc.terminated
        out.warn(f"left at {name}: {', '.join(exc.failures)}; remove with {again}")
    except ProviderError as exc:
        error_line(out, exc)
        out.warn(f"what the suite made may be left at {name}; remove it with {again}")
        return
    except KeyboardInterrupt as exc:  # a second Ctrl-C, or CleanupCut
        reason = str(exc) or "a second Ctrl-C stopped the cleanup"
        out.warn(f"{reason}; what the suite made may be left at {name}; remove it with {again}")
        raise
    out.warn(f"swept: {', '.join(removed)}" if removed else f"nothing the suite made was left at {name}")


def _summary(name: str, report: dict[str, Any], status: int) -> dict[str, Any]:
    results = report["results"]
    counts = Counter(r["outcome"] for r in results)
    return {
        "provider": name,
        "ok": status == 0,
        "pytest_exit_status": status,
        "counts": {k: counts.get(k, 0) for k in ("passed", "failed", "error", "skipped")},
        "problems": [r for r in results if r["outcome"] in ("failed", "error")],
        "skipped": dict(Counter(r["message"] for r in results if r["outcome"] == "skipped")),
    }


def _show(out: Output, summary: dict[str, Any]) -> None:
    counts = summary["counts"]
    verdict = "PASSED" if summary["ok"] else "FAILED"
    out.out.print(
        f"compliance of {summary['provider']}: {verdict} - {counts['passed']} passed, "
        f"{counts['failed']} failed, {counts['error']} errors, {counts['skipped']} skipped",
        style="green" if summary["ok"] else "red",
    )
    if summary["problems"]:
        rows = [(p["outcome"], p["test"].split("::", 1)[-1], p["message"]) for p in summary["problems"]]
        out.print(table(("outcome", "test", "reason"), rows))
    if summary["skipped"]:
        out.print(table(("skipped", "reason"), [(n, why) for why, n in summary["skipped"].items()]))


@click.command("check", context_settings={"ignore_unknown_options": True})
@click.argument("name")
@click.option("--live", is_flag=True, help="Use the real account instead of the local test double.")
@click.option("-k", "keyword", help="Only tests matching this pytest -k expression.")
@click.option("-v", "--verbose", is_flag=True, help="Stream pytest's own output too.")
@set_option
@json_option
@click.argument("pytest_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_obj
def check_command(
    out: Output,
    name: str,
    live: bool,
    keyword: str | None,
    verbose: bool,
    settings: tuple[str, ...],
    as_json: bool,
    pytest_args: tuple[str, ...],
) -> int:
    """Run the compliance suite against NAME (extra arguments after -- go to pytest)."""
    env = {**os.environ, **_settings_env(out, name, settings)}
    if importlib.util.find_spec("pytest") is None:
        raise CliFailure("the compliance suite needs pytest: pip install 'provider-core[testing]'")
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-p",
        "no:cacheprovider",
        "-p",
        "provider_core.cli._pytest_report",
    ]
    # -v: a line per test, which becomes the progress shown while the suite runs.
    command += ["--pyargs", "provider_core.testing", "--provider", name, "-v", "-rN"]
    command += ["--live"] if live else []
    command += ["-k", keyword] if keyword else []
    command += list(pytest_args)
    # Last, so it is the one the suite uses: an interrupted run is swept by it.
    run_id = secrets.token_hex(3)
    command += ["--compliance-run-id", run_id]
    with tempfile.TemporaryDirectory(prefix="providers-check-") as folder:
        report_path = Path(folder) / "report.json"
        env[REPORT_ENV] = str(report_path)
        # What the suite and its test doubles write to temporary files goes with this folder, even when
        # pytest had to be killed before it could remove them.
        env["TMPDIR"] = folder
        try:
            lines = _run(out, command, env, verbose)
        except KeyboardInterrupt:
            _sweep_run(out, name, settings, run_id, live)
            raise
        report = json.loads(report_path.read_text()) if report_path.exists() else None
    if report is None or report["exit_status"] in _PYTEST_STATUS:
        status = report["exit_status"] if report else None
        why = _PYTEST_STATUS.get(status, "pytest did not run") if status is not None else "pytest did not run"
        if not verbose:
            out.stderr.write("".join(lines[-30:]))
        raise CliFailure(
            f"compliance suite for '{name}': {why}", ExitCode.USAGE if status == 4 else ExitCode.FAILURE
        )
    summary = _summary(name, report, report["exit_status"])
    if as_json:
        out.json(summary)
    else:
        _show(out, summary)
        if not summary["ok"]:
            out.note(
                f"details: providers check {name} -v "
                f"(or: pytest --pyargs provider_core.testing --provider {name})"
            )
    return ExitCode.OK if summary["ok"] else ExitCode.FAILURE
