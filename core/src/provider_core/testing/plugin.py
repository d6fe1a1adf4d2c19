"""pytest11 entry point of the compliance suite."""

from __future__ import annotations

import pytest


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("provider_core", "provider-core compliance suite")
    group.addoption("--provider", action="append", default=[], help="provider to check (repeatable)")
    group.addoption("--live", action="store_true", help="use real accounts instead of test doubles")
