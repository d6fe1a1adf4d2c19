"""`providers new`: the generated distribution has the shape every provider has, installs, and passes."""

from __future__ import annotations

import os
import subprocess
import venv
from pathlib import Path

import pytest

from tests.cli.conftest import REPO, Cli

SHAPE = {
    "pyproject.toml",
    "README.md",
    "src/provider_my_cloud/__init__.py",
    "src/provider_my_cloud/py.typed",
    "src/provider_my_cloud/_registration.py",
    "src/provider_my_cloud/_settings.py",
    "src/provider_my_cloud/_provider.py",
    "src/provider_my_cloud/_client.py",
    "src/provider_my_cloud/_errors.py",
    "src/provider_my_cloud/_types.py",
    "src/provider_my_cloud/testing/__init__.py",
    "src/provider_my_cloud/testing/_double.py",
    "tests/test_provider.py",
}


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    # Nothing of this test environment may leak into the fresh venv.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    return subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_new_generates_the_module_shape(cli: Cli, tmp_path: Path) -> None:
    done = cli.ok("new", "my-cloud", "--directory", str(tmp_path))
    target = tmp_path / "provider-my-cloud"
    assert f"created {target}" in done.stdout
    assert {str(p.relative_to(target)) for p in target.rglob("*") if p.is_file()} == SHAPE
    pyproject = (target / "pyproject.toml").read_text()
    assert 'my-cloud = "provider_my_cloud._registration:registration"' in pyproject
    assert "${" not in "".join(p.read_text() for p in target.rglob("*") if p.is_file())


def test_new_refuses_a_bad_name_and_an_existing_directory(cli: Cli, tmp_path: Path) -> None:
    bad = cli("new", "My Cloud", "--directory", str(tmp_path))
    assert bad.code == 2
    assert "must start with a lowercase letter" in bad.stderr
    (tmp_path / "provider-taken").mkdir()
    taken = cli("new", "taken", "--directory", str(tmp_path))
    assert taken.code == 1
    assert "already exists" in taken.stderr
    assert list((tmp_path / "provider-taken").iterdir()) == []


def test_generated_provider_installs_and_passes_the_suite(cli: Cli, tmp_path: Path) -> None:
    cli.ok("new", "my-cloud", "--directory", str(tmp_path))
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(env_dir)
    python = env_dir / "bin" / "python"
    # The local core, never a same-named release from an index; pytest and core's deps may come from one.
    generated = tmp_path / "provider-my-cloud"
    install = run(python, "-m", "pip", "install", "-q", REPO / "core", generated, "pytest", cwd=tmp_path)
    assert install.returncode == 0, install.stderr
    suite_args = ("--pyargs", "provider_core.testing", "--provider", "my-cloud", "-p", "no:cacheprovider")
    suite = run(python, "-m", "pytest", *suite_args, cwd=tmp_path)
    assert suite.returncode == 0, suite.stdout + suite.stderr
    assert "my-cloud: installed, test double" in suite.stdout
    assert " failed" not in suite.stdout
    own = run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "provider-my-cloud/tests", cwd=tmp_path)
    assert own.returncode == 0, own.stdout + own.stderr
    assert "4 passed" in own.stdout


@pytest.mark.parametrize("name", ["-x", "x" * 41, "a.b"])
def test_new_names_follow_the_registration_rule(cli: Cli, tmp_path: Path, name: str) -> None:
    out = tmp_path / "out"
    assert cli("new", name, "--directory", str(out)).code == 2
    assert not out.exists()
