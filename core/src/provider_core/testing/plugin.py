"""pytest11 entry point of the compliance suite.

pytest loads this module in every run, so it only declares options and markers: discovery, test doubles
and the suite's fixtures live in the suite package's conftest, which pytest loads only when the suite
(`pytest --pyargs provider_core.testing`) is collected.
"""

from __future__ import annotations

import argparse
import re

import pytest

# Run ids become part of instance names and tag values: lower-case letters and digits suit every cloud.
_RUN_ID = re.compile(r"[0-9a-z]{1,16}")


def _run_id(value: str) -> str:
    if not _RUN_ID.fullmatch(value):
        raise argparse.ArgumentTypeError(f"expected 1 to 16 lower-case letters or digits, got {value!r}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provider_core", "provider-core compliance suite")
    group.addoption(
        "--provider",
        action="append",
        default=[],
        metavar="NAME",
        help="installed provider to check (repeatable; default: every installed working provider)",
    )
    group.addoption(
        "--registration",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="check a registration that is not installed: a ProviderRegistration or a zero-argument "
        "callable returning one (repeatable)",
    )
    group.addoption("--live", action="store_true", help="use real accounts instead of test doubles")
    group.addoption(
        "--compliance-retries",
        action="store_true",
        help="keep the handle's default retry policy (off by default, so a flaky provider shows)",
    )
    group.addoption(
        "--compliance-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long each wait for asynchronous state (boot, termination) may last; default 30 against "
        "test doubles, 300 with --live. After one wait of a provider runs out, its later waits look once",
    )
    group.addoption(
        "--compliance-run-id",
        type=_run_id,
        default=None,
        metavar="ID",
        help="the run id the suite names and tags its instances with (default: random); who chooses it "
        "can sweep what an interrupted run left (providers check does)",
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "requires(*flags): run only against providers declaring these capability flags"
    )
    config.addinivalue_line(
        "markers", "provider_core_target(key): a provider-specific contract collected for one provider"
    )
