"""Loaded into the pytest run of `providers check`: writes one JSON summary of every test's outcome."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest

from provider_core.cli._common import REPORT_ENV

_results: list[dict[str, Any]] = []


def _message(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return str(report.longrepr[2]).removeprefix("Skipped: ")
    crash = getattr(report.longrepr, "reprcrash", None)
    if crash is not None:
        return str(crash.message).strip().splitlines()[0] if str(crash.message).strip() else ""
    lines = [line for line in report.longreprtext.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    # One row per test: its call, or the setup/teardown phase that failed or skipped it.
    if report.when == "call" or not report.passed:
        failed_outside_call = report.failed and report.when != "call"
        outcome = "error" if failed_outside_call else report.outcome
        _results.append(
            {
                "test": report.nodeid,
                "outcome": outcome,
                "message": "" if report.passed else _message(report),
                "seconds": round(report.duration, 3),
            }
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    path = os.environ.get(REPORT_ENV)
    if path:
        with open(path, "w", encoding="utf-8") as handle:
            json.dump({"exit_status": int(exitstatus), "results": _results}, handle)
