"""Fixtures: a private sim (real SQLite file), a registry holding orbstack, a settable clock, a fake `orb`."""

from __future__ import annotations

import functools
import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest

from provider_core import ProviderHandle, ProviderRegistry
from provider_core.author import resolve_settings
from provider_orbstack import OrbStackProvider, OrbStackSettings
from provider_orbstack._registration import registration
from provider_orbstack.testing import test_double

FAKE_ORB = Path(__file__).with_name("fake_orb.py")


def build_provider(*, clock: Callable[[], float] = time.time, **settings: Any) -> OrbStackProvider:
    """A provider built outside any registry, its settings resolved (and the environment read) by the core."""
    return OrbStackProvider(resolve_settings(OrbStackSettings, settings, provider="orbstack"), clock=clock)


class Clock:
    """Wall-clock stand-in for the sim: tests move time instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def sim_settings() -> Iterator[dict[str, Any]]:
    with test_double() as settings:
        yield settings


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def registry(clock: Clock) -> Iterator[ProviderRegistry]:
    """A registry with orbstack built on the fake clock (boot, terminate and snapshot delays are 1 s)."""
    reg = ProviderRegistry()
    reg.add(attrs.evolve(registration, provider=functools.partial(OrbStackProvider, clock=clock)))
    yield reg
    reg.close()


@pytest.fixture
def handle(registry: ProviderRegistry, tmp_path: Path) -> ProviderHandle:
    return registry.get(
        "orbstack",
        backend="sim",
        state_path=str(tmp_path / "sim.db"),
        boot_delay=1.0,
        terminate_delay=1.0,
        snapshot_delay=1.0,
    )


class FakeOrb:
    """A fake `orb` executable on PATH; its machines and every command line live in files under root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.state = root / "state.json"
        self.log = root / "calls.jsonl"
        self.bin = root / "bin"

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]

    def machines(self) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.state.read_text()) if self.state.exists() else {}
        return data

    def fail_next(self, verb: str, stderr: str, code: int = 1) -> None:
        (self.root / f"fail-{verb}").write_text(json.dumps({"stderr": stderr, "code": code}))

    def hang_next(self, verb: str, seconds: float) -> None:
        """The next `verb` does its work, then hangs: past the caller's timeout, it is killed."""
        (self.root / f"hang-{verb}").write_text(str(seconds))

    def run(self, *args: str) -> None:
        """Run the fake directly: what a user (or OrbStack finishing late) does outside provider-core."""
        subprocess.run([str(self.bin / "orb"), *args], check=True, capture_output=True)


@pytest.fixture
def fake_orb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeOrb:
    fake = FakeOrb(tmp_path / "orbstack")
    fake.bin.mkdir(parents=True)
    exe = fake.bin / "orb"
    exe.write_text(f"#!{sys.executable}\n" + FAKE_ORB.read_text())
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("FAKE_ORB_ROOT", str(fake.root))
    monkeypatch.setenv("PATH", f"{fake.bin}{os.pathsep}{os.environ.get('PATH', '')}")
    return fake
