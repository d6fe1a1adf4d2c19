"""Run `providers` as a real subprocess, with test providers installed as a throwaway distribution."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from tests.provider_core.distributions import make_distribution

REPO = Path(__file__).resolve().parents[2]
# The console script installed next to the interpreter running the tests.
PROVIDERS = Path(sys.executable).parent / "providers"
FAKE_DISTRIBUTION = "provider-memfake"
FAKE_VERSION = "0.1"


@frozen
class Run:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


class Cli:
    """Calls the installed `providers` entry point; every call is a fresh process."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self.env = dict(env)

    def __call__(self, *args: str, input: str | None = None, env: Mapping[str, str] | None = None) -> Run:
        done = subprocess.run(
            [str(PROVIDERS), *args],
            env={**self.env, **(env or {})},
            input=input,
            capture_output=True,
            text=True,
            timeout=120,
        )
        return Run(done.returncode, done.stdout, done.stderr)

    def on_terminal(self, *args: str, input: str = "", env: Mapping[str, str] | None = None) -> Run:
        """Run with stdin, stdout and stderr on one pseudo-terminal; its output is all in stdout."""
        leader, follower = pty.openpty()
        with subprocess.Popen(
            [str(PROVIDERS), *args],
            env={**self.env, **(env or {})},
            stdin=follower,
            stdout=follower,
            stderr=follower,
        ) as process:
            os.close(follower)  # the child holds the only writer: EOF comes when it exits
            os.write(leader, input.encode())  # the terminal buffers it until the prompt reads it
            chunks = []
            while True:
                try:
                    chunk = os.read(leader, 65536)
                except OSError:  # EIO: no writer left
                    break
                if not chunk:
                    break
                chunks.append(chunk)
            os.close(leader)
        return Run(process.returncode, b"".join(chunks).decode().replace("\r\n", "\n"), "")

    def ok(self, *args: str, input: str | None = None) -> Run:
        run = self(*args, input=input)
        assert run.code == 0, run.output
        return run


@pytest.fixture(scope="session")
def fake_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("site")
    make_distribution(
        root,
        FAKE_DISTRIBUTION,
        {
            "provider_core.providers": {
                "memory": "tests.cli.fakeprov:registration",
                "leaky": "tests.cli.fakeprov:leaky_registration",
                "broken": "tests.cli.fakeprov:no_such_registration",
            }
        },
        {},
        version=FAKE_VERSION,
    )
    return root


def base_env(fake_site: Path, state: Path) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"NO_COLOR", "FORCE_COLOR", "COLUMNS", "PROVIDER_CORE_CHAOS", "MEMFAKE_API_KEY"}
    }
    env["PYTHONPATH"] = os.pathsep.join([str(fake_site), str(REPO)])
    env["MEMFAKE_STATE"] = str(state)
    return env


@pytest.fixture
def cli(fake_site: Path, tmp_path: Path) -> Cli:
    return Cli(base_env(fake_site, tmp_path / "state.json"))


def with_distribution(cli: Cli, root: Path, name: str, providers: Mapping[str, str], version: str) -> Cli:
    """cli with one more distribution installed, ahead of the others on the path (so discovered first)."""
    make_distribution(root, name, {"provider_core.providers": providers}, {}, version=version)
    return Cli({**cli.env, "PYTHONPATH": os.pathsep.join([str(root), cli.env["PYTHONPATH"]])})
