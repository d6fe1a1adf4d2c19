"""`providers list --json` from the registration index: the same bytes, a fraction of the imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import Cli

# Everything `providers list --json` imports beyond a bare interpreter (python -c pass), when the index is
# current: no pluggy, attrs, cattrs, importlib.metadata, json, re, click, rich, provider or SDK.
LISTING_MODULES = {
    "__future__",
    "binascii",
    "provider_core",
    "provider_core.cli",
    "provider_core._installed",
    "provider_core._claims",
    "provider_core._index",
}


def _imported(run_stderr: str) -> set[str]:
    # PYTHONPROFILEIMPORTTIME lines: "import time: self | cumulative | <indent>name".
    return {
        line.split("|")[-1].strip() for line in run_stderr.splitlines() if line.startswith("import time:")
    }


def test_list_json_is_the_same_with_and_without_the_index(cli: Cli, tmp_path: Path) -> None:
    indexed = Cli({**cli.env, "PROVIDER_CORE_INDEX": str(tmp_path / "index")})
    scanned = Cli({**cli.env, "PROVIDER_CORE_INDEX": "off"}).ok("list", "--json").stdout
    building = indexed.ok("list", "--json").stdout
    assert list((tmp_path / "index").glob("index-*")), "the scan saved the index"
    from_index = indexed.ok("list", "--json").stdout
    assert scanned == building == from_index
    assert indexed.ok("list").stdout == Cli({**cli.env, "PROVIDER_CORE_INDEX": "off"}).ok("list").stdout


def test_the_listing_path_imports_no_provider_sdk_or_library(cli: Cli, tmp_path: Path) -> None:
    indexed = Cli({**cli.env, "PROVIDER_CORE_INDEX": str(tmp_path / "index")})
    indexed.ok("list", "--json")
    run = indexed("list", "--json", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert run.code == 0
    bare = subprocess.run(
        [sys.executable, "-c", "pass"],
        env={**cli.env, "PYTHONPROFILEIMPORTTIME": "1"},
        capture_output=True,
        text=True,
        check=True,
    )
    assert _imported(run.stderr) - _imported(bare.stderr) == LISTING_MODULES
    full = indexed("list", env={"PYTHONPROFILEIMPORTTIME": "1"})
    assert "click" in _imported(full.stderr), "the probe sees imports (the table output uses click and rich)"
