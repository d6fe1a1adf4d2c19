"""Issue 16, packaging: every distribution installs from the wheelhouse alone into a fresh venv, is
discovered, and passes the compliance suite with the `cli` and `testing` extras (a plugin: its own tests,
from its sdist); `providers` without the
`cli` extra says how to get it and exits 2.

One wheelhouse per session (`hatch run wheelhouse`), one venv per distribution, built three at a time;
pip's cache is shared. Third-party dependencies come from the configured index: for the first install
directly (the command a user types), for the extras from wheels resolved once per session.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import pytest
from attrs import frozen

from tests.packaging.venvs import ROOT, Step, Venv, third_party_wheels

MEMORY = "provider_core.testing.memory:registration"
DISCOVER = (
    "import json, provider_core; r = provider_core.discover();"
    "print(json.dumps({'providers': r.names(), 'broken': r.broken(), 'broken_plugins': r.broken_plugins(),"
    " 'plugins': sorted([*(n.removeprefix('plugin:') for n, _ in r.plugin_manager.list_name_plugin()"
    " if n.startswith('plugin:')), *r.dormant_plugins()])}))"
)


@frozen
class Case:
    distribution: str
    provider: str | None = None  # the provider it publishes
    plugin: str | None = None  # the provider_core.plugins entry point it publishes
    extras: str = ""
    needs: str | None = None  # a binary the provider's test double needs


CASES = [
    Case("provider-core"),
    Case("provider-aws", "aws", extras="[testing]"),
    Case("provider-lambda", "lambda"),
    Case("provider-runpod", "runpod", extras="[testing]"),
    Case("provider-orbstack", "orbstack", plugin="orbstack-chaos"),
    Case("provider-slurm", "slurm", needs="slurmctld"),
    Case("provider-core-audit", plugin="audit-log", extras="[test]"),
    Case("provider-core-budget", plugin="budget-guard", extras="[test]"),
    Case("provider-core-otel", plugin="otel-tracing", extras="[test]"),
]


@frozen
class Outcome:
    first_install: dict[str, str]
    discovered: dict[str, object]
    no_cli: Step
    suite: Step | None
    workdir: Path


def _install_and_check(case: Case, wheelhouse: Path, base: Path, deps: Future[Path]) -> Outcome:
    env = Venv(base / case.distribution, wheelhouse)
    first = env.pip_install(case.distribution)  # exactly what a user types, in a venv with nothing else
    listed = env.run(str(env.python), "-c", DISCOVER)
    discovered = json.loads(listed.output) if listed.returncode == 0 else {"error": listed.output}
    no_cli = env.run(str(env.path / "bin" / "providers"), "list")
    env.pip_install("provider-core[cli,testing]", case.distribution + case.extras, local=deps.result())
    if case.plugin and not case.provider:
        # A plugin's own tests, as its sdist ships them, against the installed wheel.
        with tarfile.open(next(wheelhouse.glob(case.distribution.replace("-", "_") + "-*.tar.gz"))) as sdist:
            sdist.extractall(env.path / "sdist", filter="data")
        (source,) = (env.path / "sdist").iterdir()
        target = [str(source / "tests")]
    else:
        target = ["--pyargs", "provider_core.testing"]
        target += ["--provider", case.provider] if case.provider else ["--registration", MEMORY]
    suite = None
    if case.needs is None or shutil.which(case.needs):
        suite = env.run(str(env.python), "-m", "pytest", *target, "-q", "-p", "no:cacheprovider")
    return Outcome(first, discovered, no_cli, suite, env.path)


@pytest.fixture(scope="session")
def outcomes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Outcome]]:
    base = tmp_path_factory.mktemp("packaging")
    wheelhouse = base / "wheelhouse"
    built = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "wheelhouse.py"), "--out", str(wheelhouse)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stdout + built.stderr
    everything = ["provider-core[cli,testing]", *(c.distribution + c.extras for c in CASES)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        deps = pool.submit(third_party_wheels, wheelhouse, base / "deps", everything)
        futures = {c.distribution: pool.submit(_install_and_check, c, wheelhouse, base, deps) for c in CASES}
        yield {name: future.result() for name, future in futures.items()}


def test_wheelhouse_has_a_wheel_and_an_sdist_of_every_distribution(outcomes: dict[str, Outcome]) -> None:
    wheelhouse = next(iter(outcomes.values())).workdir.parent / "wheelhouse"
    names = {case.distribution.replace("-", "_") for case in CASES}
    assert {p.name.split("-")[0] for p in wheelhouse.glob("*.whl")} == names
    assert {p.name.split("-")[0] for p in wheelhouse.glob("*.tar.gz")} == names
    sdist = subprocess.run(
        ["tar", "tzf", str(next(wheelhouse.glob("provider_core-*.tar.gz")))], capture_output=True, text=True
    )
    assert "provider_core-0.1.0/docs/writing-a-provider.md" in sdist.stdout.split()


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.distribution)
def test_installs_alone_from_the_wheelhouse(case: Case, outcomes: dict[str, Outcome]) -> None:
    outcome = outcomes[case.distribution]
    assert {case.distribution, "provider-core"} <= set(outcome.first_install)
    found = outcome.discovered
    assert found.get("broken") == {}, found
    assert found.get("broken_plugins") == {}, found
    assert found["providers"] == ([case.provider] if case.provider else []), found
    # Registered, or dormant until configured (test-only and unconfigured plugins wrap nothing).
    assert found["plugins"] == ([case.plugin] if case.plugin else []), found


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.distribution)
def test_compliance_suite_passes_with_the_extras(case: Case, outcomes: dict[str, Outcome]) -> None:
    suite = outcomes[case.distribution].suite
    if suite is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{case.needs} is missing under CI (.ci/run installs slurm-wlm and munge)")
        pytest.skip(f"{case.needs} not found: apt-get install slurm-wlm munge")
    assert suite.returncode == 0, suite.output[-4000:]
    assert " passed" in suite.output
    assert " failed" not in suite.output


def test_providers_without_the_cli_extra_says_how_to_get_it(outcomes: dict[str, Outcome]) -> None:
    step = outcomes["provider-core"].no_cli
    assert step.returncode == 2, step.output
    assert "pip install 'provider-core[cli]'" in step.output
    assert "Traceback" not in step.output
