"""Fresh virtual environments that install the project's distributions from a wheelhouse, as a third party
would, and the proof that every project distribution came from that wheelhouse."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import venv
from pathlib import Path

from attrs import frozen

ROOT = Path(__file__).resolve().parents[2]


def project_names(wheelhouse: Path) -> set[str]:
    """The project's own distributions: everything the wheelhouse holds (names normalised as pip does)."""
    return {wheel.name.split("-", 1)[0].replace("_", "-") for wheel in wheelhouse.glob("*.whl")}


@frozen
class Step:
    command: list[str]
    returncode: int
    output: str


class Venv:
    """A venv without pip, so nothing else is in it: this interpreter's pip installs into it (--python)."""

    def __init__(self, path: Path, wheelhouse: Path) -> None:
        self.path = path
        self.wheelhouse = wheelhouse
        self.project = project_names(wheelhouse)
        venv.create(path, with_pip=False, clear=True)
        self.python = path / "bin" / "python"
        self.log: list[Step] = []

    def pip_install(self, *requirements: str, local: Path | None = None) -> dict[str, str]:
        """`pip install --find-links WHEELHOUSE REQ...`; returns {name: source url} of what it installed.

        With `local`, a directory holding every third-party wheel needed, the index is not asked at all.
        """
        report = self.path / f"report-{len(self.log)}.json"
        offline = ["--no-index", "--find-links", str(local)] if local else []
        self.run(
            sys.executable, "-m", "pip", "--python", str(self.python), "install", "--quiet", "--no-compile",
            "--find-links", str(self.wheelhouse), *offline, "--report", str(report), *requirements,
        )  # fmt: skip
        installed = json.loads(report.read_text())["install"]
        return {item["metadata"]["name"]: self._checked_source(item) for item in installed}

    def _checked_source(self, item: dict[str, object]) -> str:
        info = item["download_info"]
        assert isinstance(info, dict)
        url = str(info["url"])
        name = item["metadata"]["name"]  # type: ignore[index]
        if name in self.project:
            local = self.wheelhouse / url.rsplit("/", 1)[-1]
            assert url == local.as_uri(), f"{name} was installed from {url}, not from the wheelhouse"
            digest = hashlib.sha256(local.read_bytes()).hexdigest()
            recorded = info["archive_info"]["hashes"]["sha256"]
            assert recorded == digest, f"{name}: installed archive differs from {local.name}"
        return url

    def run(self, *command: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> Step:
        done = subprocess.run(
            command, cwd=cwd or self.path, env=self.environ(env), capture_output=True, text=True, check=False
        )
        step = Step(list(command), done.returncode, done.stdout + done.stderr)
        self.log.append(step)
        if command[1:3] == ("-m", "pip"):
            assert step.returncode == 0, f"{' '.join(command)} failed:\n{step.output[-3000:]}"
        return step

    def environ(self, extra: dict[str, str] | None) -> dict[str, str]:
        # The venv's own interpreter first; nothing of this repository's environment (PYTHONPATH, the
        # hatch env, PROVIDER_CORE_* settings) may leak into the venv under test.
        leaks = ("PROVIDER_CORE", "PYTHON", "VIRTUAL_ENV")
        keep = {k: v for k, v in os.environ.items() if not k.startswith(leaks)}
        keep["PATH"] = f"{self.python.parent}{os.pathsep}{keep.get('PATH', '')}"
        return keep | (extra or {})


def third_party_wheels(wheelhouse: Path, out: Path, requirements: list[str]) -> Path:
    """Wheels of every third-party dependency of requirements, resolved from the index once, so each venv
    then installs its extras without asking the index again (the slow part of pip is the index queries)."""
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--wheel-dir", str(out), "--find-links",
         str(wheelhouse), *requirements],
        check=True, capture_output=True,
    )  # fmt: skip
    # Copies of the project's wheels would be a second source for them; the wheelhouse must be the only one.
    project = project_names(wheelhouse)
    for wheel in out.glob("*.whl"):
        if wheel.name.split("-", 1)[0].replace("_", "-") in project:
            wheel.unlink()
    return out
