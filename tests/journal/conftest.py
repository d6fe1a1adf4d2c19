"""Journal URLs for both backends; the PostgreSQL server is started once per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.journal.postgres import HOW_TO_GET, fresh_database, postgres_server, server_bin

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def postgres_admin_url() -> Iterator[str]:
    bin_dir = server_bin()
    if bin_dir is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must run the PostgreSQL journal tests: {HOW_TO_GET}")
        pytest.skip(HOW_TO_GET)
    with postgres_server(bin_dir) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new, empty journal on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'journal.db'}"
    return fresh_database(request.getfixturevalue("postgres_admin_url"))
