"""Hostile distributions cannot hang, crash or stop discovery; a user's Ctrl-C still stops it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from provider_core._discovery import discovery_timeout
from tests.provider_core.distributions import make_distribution, run_python

PROVIDERS = "provider_core.providers"
PLUGINS = "provider_core.plugins"
CALLED = """
from provider_core.testing.memory import registration as memory

def registration():
    {body}
"""
REPO = Path(__file__).resolve().parents[2]


# Long enough for an honest registration on a busy CI machine, short enough to keep the tests quick.
TIMEOUT = "1.5"


def _install(root: Path, only: set[str] | None = None) -> None:
    modules = {
        "hang_import": "import time\ntime.sleep(3600)\n",
        "base_import": "raise BaseException('base at import')\n",
        "exit_import": "raise SystemExit(3)\n",
        "interrupt_import": "raise KeyboardInterrupt\n",
        "hang_call": CALLED.format(body="import time; time.sleep(3600)"),
        "base_call": CALLED.format(body="raise BaseException('base in registration()')"),
        "exit_call": CALLED.format(body="raise SystemExit('no')"),
        "fine_call": CALLED.format(body="return memory(name='finecall')"),
        "hang_plugin": "import time\ntime.sleep(3600)\n",
        "base_plugin": "raise BaseException('plugin base')\n",
    }
    modules = {k: v for k, v in modules.items() if only is None or k in only}
    for module in modules:
        kind = "plugin" if module.endswith("_plugin") else "provider"
        name = module.replace("_", "")
        group, target = (PLUGINS, module) if kind == "plugin" else (PROVIDERS, f"{module}:registration")
        make_distribution(root, f"dist-{module.replace('_', '-')}", {group: {name: target}}, {})
    for module, source in modules.items():
        (root / f"{module}.py").write_text(source)


def test_every_hostile_import_or_registration_is_contained_and_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _install(tmp_path)
    monkeypatch.setenv("PROVIDER_CORE_DISCOVERY_TIMEOUT", TIMEOUT)
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        r = provider_core.discover()
        print(json.dumps({"names": r.names(), "broken": r.broken(), "plugins": r.broken_plugins(),
                          "incomplete": r.incomplete}))
        """,
    )
    broken, plugins = found["broken"], found["plugins"]
    assert "finecall" in found["names"], "the others still load"
    hung = f"import did not finish within {TIMEOUT} s (set PROVIDER_CORE_DISCOVERY_TIMEOUT to wait longer)"
    assert broken["hangimport"] == f"{hung} (dist-hang-import 1.0)"
    assert broken["hangcall"] == f"{hung} (dist-hang-call 1.0)"
    assert plugins["hangplugin"] == f"{hung} (dist-hang-plugin 1.0)"
    assert broken["baseimport"] == "BaseException: base at import (dist-base-import 1.0)"
    assert broken["basecall"] == "BaseException: base in registration() (dist-base-call 1.0)"
    assert broken["exitimport"] == "SystemExit: 3 (dist-exit-import 1.0)"
    assert broken["exitcall"] == "SystemExit: no (dist-exit-call 1.0)"
    assert broken["interruptimport"] == "KeyboardInterrupt (dist-interrupt-import 1.0)"
    assert plugins["baseplugin"] == "BaseException: plugin base (dist-base-plugin 1.0)"
    assert found["incomplete"] is True, "a scan cut short is not saved as the index"


def test_providers_list_reports_them_without_a_traceback(tmp_path: Path) -> None:
    _install(tmp_path, only={"hang_import", "base_import"})
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        "PROVIDER_CORE_DISCOVERY_TIMEOUT": TIMEOUT,
    }
    providers = Path(sys.executable).parent / "providers"
    done = subprocess.run([providers, "list"], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stdout + done.stderr
    assert f"broken provider hangimport: import did not finish within {TIMEOUT} s" in done.stdout
    assert "broken provider baseimport: BaseException: base at import (dist-base-import 1.0)" in done.stdout


def test_a_bad_timeout_setting_is_a_value_error_naming_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDER_CORE_DISCOVERY_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="PROVIDER_CORE_DISCOVERY_TIMEOUT must be seconds > 0, got 'soon'"):
        discovery_timeout()


def test_ctrl_c_during_a_hung_discovery_still_stops_the_program(tmp_path: Path) -> None:
    make_distribution(
        tmp_path,
        "dist-hang",
        {PROVIDERS: {"hang": "hang_loud:registration"}},
        {"hang_loud": "import sys, time\nprint('hanging', file=sys.stderr, flush=True)\ntime.sleep(3600)\n"},
    )
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)]),
        "PROVIDER_CORE_DISCOVERY_TIMEOUT": "600",
        "PROVIDER_CORE_INDEX": "off",
    }
    providers = Path(sys.executable).parent / "providers"
    process = subprocess.Popen(
        [providers, "list", "--json"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert process.stderr is not None
    assert process.stderr.readline().strip() == "hanging"
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=60)
    # click turns the KeyboardInterrupt into its Abort; the CLI still reports it as Ctrl-C, exit 130.
    assert process.returncode == 130, stderr
    assert "providers: error: interrupted" in stderr


def test_an_import_that_finishes_in_time_is_not_affected(tmp_path: Path) -> None:
    make_distribution(
        tmp_path,
        "dist-slow",
        {PROVIDERS: {"slow": "slow_reg:registration"}},
        {"slow_reg": CALLED.format(body="import time; time.sleep(0.2); return memory(name='slow')")},
    )
    found = run_python(
        tmp_path, "import json, provider_core\nprint(json.dumps(provider_core.discover().names()))"
    )
    assert "slow" in found
