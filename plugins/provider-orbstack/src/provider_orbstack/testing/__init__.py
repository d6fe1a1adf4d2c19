"""The local test double: the sim backend on a fresh SQLite file with short delays."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

FAST_DELAY_S = 0.05


@contextmanager
def test_double(**overrides: Any) -> Iterator[dict[str, Any]]:
    """Yield provider settings for a private sim; its database is removed on exit."""
    with tempfile.TemporaryDirectory(prefix="orbstack-sim-") as tmp:
        yield {
            "backend": "sim",
            "state_path": str(Path(tmp) / "sim.db"),
            "boot_delay": FAST_DELAY_S,
            "terminate_delay": FAST_DELAY_S,
            "snapshot_delay": FAST_DELAY_S,
            **overrides,
        }


__all__ = ["FAST_DELAY_S", "test_double"]
