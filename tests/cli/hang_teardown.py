"""A pytest plugin for the suite run of `providers check` (`-- -p tests.cli.hang_teardown`): every test's
teardown hangs before the fixtures' own teardown, so the suite terminates nothing it spawned, as when a
cloud stops answering. It ignores Ctrl-C; only a kill ends it. It writes $HANG_TEARDOWN_MARKER first."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

MARKER_ENV = "HANG_TEARDOWN_MARKER"


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_teardown(item: pytest.Item) -> None:
    Path(os.environ[MARKER_ENV]).write_text(item.nodeid)
    while True:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            continue
