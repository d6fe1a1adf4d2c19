"""Cold start: `providers list --json` in a fresh interpreter against `python -c pass`, and the anchors.

The anchors (libcloud's `get_driver(EC2)`, `llm --version`) live in a side environment, built only when
PROVIDER_CORE_BENCH_ANCHORS=1 asks for it: they are other projects, not dependencies of this one.
"""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

from benchmarks._common import Figure, Size, fresh_interpreters, ms, python

ANCHORS_ENV = "PROVIDER_CORE_BENCH_ANCHORS"
GOAL = 2.0
# Outside the repository, so neither the linters nor git ever look into it.
ANCHOR_VENV = (
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "provider-core" / "bench-anchors"
)
ANCHOR_PACKAGES = ("apache-libcloud", "llm")
LIBCLOUD = (
    "from libcloud.compute.providers import get_driver; from libcloud.compute.types import Provider; "
    "get_driver(Provider.EC2)"
)


def anchors_asked() -> bool:
    return os.environ.get(ANCHORS_ENV) == "1"


def providers_cli() -> list[str]:
    """The console script users type, installed beside this interpreter."""
    return [str(Path(sys.executable).with_name("providers")), "list", "--json"]


def anchor_python() -> Path:
    """The side environment's interpreter, created and filled on first use."""
    interpreter = ANCHOR_VENV / "bin" / "python"
    if not interpreter.exists():
        venv.create(ANCHOR_VENV, with_pip=True)
        subprocess.run([str(interpreter), "-m", "pip", "install", "-q", *ANCHOR_PACKAGES], check=True)
    return interpreter


def figures(size: Size) -> list[Figure]:
    commands = {"pass": python("-c", "pass"), "providers": providers_cli()}
    anchors = anchors_asked()
    if anchors:
        side = anchor_python()
        commands["libcloud"] = [str(side), "-c", LIBCLOUD]
        commands["llm"] = [str(side.with_name("llm")), "--version"]
    times = fresh_interpreters(commands, size.cold_runs)
    base = times["pass"]
    # The goal's second half: faster than the libcloud anchor, judged when the anchor was measured.
    slower = anchors and times["providers"] >= times["libcloud"]
    found = [
        Figure(
            "cold start: `providers list --json` / `python -c pass`",
            GOAL,
            "`python -c pass`",
            times["providers"] / base,
            f"{ms(times['providers'])} vs {ms(base)} (median of {size.cold_runs})",
            "hatch run bench --only coldstart",
            also_missed="slower than libcloud's get_driver(EC2)" if slower else "",
        )
    ]
    if anchors:
        for anchor, what in (("libcloud", "libcloud `get_driver(EC2)`"), ("llm", "`llm --version`")):
            found.append(
                Figure(
                    f"anchor: {what} / `python -c pass`",
                    None,
                    "`python -c pass`",
                    times[anchor] / base,
                    f"{ms(times[anchor])} vs {ms(base)}; providers list is "
                    f"{times['providers'] / times[anchor]:.2f}x it",
                    f"{ANCHORS_ENV}=1 hatch run bench --only coldstart",
                )
            )
    return found
