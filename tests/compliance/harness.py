"""Runs the compliance suite in-process (pytester) and reads what it reported."""

from __future__ import annotations

import pytest
from attrs import frozen

MODULE = "tests.compliance.providers"
# Plugins the suite does not use; pytester drops what an in-process run imported, so each run would
# import (and assertion-rewrite) them again.
UNRELATED_PLUGINS = ("hypothesispytest", "benchmark", "xdist", "xdist.looponfail", "anyio")


@frozen
class SuiteRun:
    exit_code: int | pytest.ExitCode | None
    reports: tuple[pytest.TestReport, ...]

    def _named(self, outcome: str, when: str | None = None) -> dict[str, str]:
        """'test_name[provider]' (plus ' (teardown)' for teardown errors) -> the report's text."""
        found: dict[str, str] = {}
        for report in self.reports:
            if report.outcome != outcome or (when is not None and report.when != when):
                continue
            name = report.nodeid.rsplit("::", 1)[-1]
            if report.when == "teardown":
                name += " (teardown)"
            found[name] = _text(report)
        return found

    @property
    def failed(self) -> dict[str, str]:
        return self._named("failed")

    @property
    def passed(self) -> set[str]:
        return set(self._named("passed", "call"))

    @property
    def skipped(self) -> dict[str, str]:
        return self._named("skipped")


def _text(report: pytest.TestReport) -> str:
    if report.skipped and isinstance(report.longrepr, tuple):
        return report.longrepr[2]
    return report.longreprtext


def run_suite(
    pytester: pytest.Pytester, *registrations: str, extra: tuple[str, ...] = (), timeout: float = 10.0
) -> SuiteRun:
    """Run `pytest --pyargs provider_core.testing` against registrations named in providers.py.

    Waits end as soon as their condition holds, so a passing provider never uses the timeout; a generous
    default keeps a stalled CI machine from failing a correct provider. Runs that expect a provider to
    break a waiting rule pass a short timeout so the failure comes quickly.
    """
    args = [f"--registration={MODULE}:{name}" for name in registrations]
    args += [f"-pno:{plugin}" for plugin in ("cacheprovider", *UNRELATED_PLUGINS)]
    recorder: pytest.HookRecorder = pytester.inline_run(
        "--pyargs", "provider_core.testing", f"--compliance-timeout={timeout}", *args, *extra
    )
    reports = tuple(
        r for r in recorder.getreports("pytest_runtest_logreport") if isinstance(r, pytest.TestReport)
    )
    return SuiteRun(recorder.ret, reports)
