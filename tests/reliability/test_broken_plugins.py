"""Broken distributions in the `provider_core.plugins` group, installed for real in a fresh interpreter:
each leaves the host working and is reported, in broken_plugins() or in a ProviderError naming it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.provider_core.distributions import make_distribution, run_python

PLUGINS = "provider_core.plugins"
CALL_TIME = {
    # Each raises only when a provider is called: discovery cannot see it coming.
    "wrapper-raises": """
        from provider_core.hooks import hookimpl
        @hookimpl(wrapper=True)
        def spawn(provider, options):
            if options.name:
                raise KeyError("cost-centre")
            return (yield)
    """,
    "tags-raise": """
        from provider_core.hooks import hookimpl
        @hookimpl
        def spawn_tags(provider, options):
            raise RuntimeError("tag service down")
    """,
    "startup-raises": """
        from provider_core.hooks import hookimpl
        @hookimpl
        def on_startup(provider):
            raise OSError("no config file")
    """,
}
AT_IMPORT = {
    "import-raises": "raise ImportError('needs an SDK that is not installed')\n",
    "unknown-hook": """
        from provider_core.hooks import hookimpl
        @hookimpl
        def on_heartbeet(provider):
            pass
    """,
    "exits": "import sys\nsys.exit('refusing to load')\n",
}


def _install(root: Path, plugins: dict[str, str]) -> None:
    """The plugins, and the reference memory provider to call through them."""
    provider = "from provider_core.testing.memory import registration as memory\nregistration = memory()\n"
    if not (root / "memory_reg.py").exists():
        make_distribution(
            root, "memory-provider", {"provider_core.providers": {"memory": "memory_reg:registration"}},
            {"memory_reg": provider},
        )  # fmt: skip
    for name, source in plugins.items():
        module = name.replace("-", "_")
        make_distribution(root, f"plugin-{name}", {PLUGINS: {name: module}}, {module: source})


def test_plugins_broken_at_import_are_reported_and_the_host_works(tmp_path: Path) -> None:
    _install(tmp_path, AT_IMPORT)
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        r = provider_core.discover(retry=None)
        h = r.get("memory")
        i = h.spawn(provider_core.SpawnOptions(name="x", instance_type="mem.small"))
        print(json.dumps({"broken": r.broken_plugins(), "status": i.status.value}))
        """,
    )
    broken = found["broken"]
    assert found["status"] == "running"
    assert "ImportError: needs an SDK" in broken["import-raises"]
    assert "on_heartbeet" in broken["unknown-hook"]
    assert "SystemExit: refusing to load" in broken["exits"]


def test_plugins_failing_at_call_time_are_named_and_other_calls_work(tmp_path: Path) -> None:
    _install(tmp_path, CALL_TIME)
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        r = provider_core.discover(retry=None)
        h = r.get("memory")
        try:
            h.spawn(provider_core.SpawnOptions(name="x", instance_type="mem.small"))
            failure = None
        except provider_core.ProviderError as exc:
            failure = [exc.code.value, exc.message]
        print(json.dumps({"failure": failure, "broken": r.broken_plugins()}))
        """,
    )
    code, message = found["failure"]
    assert code == "INTERNAL"
    # The first plugin to fail is named (on_startup runs before any call, so it is that one).
    assert message.startswith("plugin 'plugin:startup-raises' failed: OSError"), message
    assert found["broken"] == {}


@pytest.mark.parametrize("name", sorted(CALL_TIME))
def test_each_call_time_failure_names_its_plugin(tmp_path: Path, name: str) -> None:
    _install(tmp_path, {name: CALL_TIME[name]})
    found = run_python(
        tmp_path,
        """
        import json, provider_core
        h = provider_core.discover(retry=None).get("memory")
        try:
            h.spawn(provider_core.SpawnOptions(name="x", instance_type="mem.small"))
            message = None
        except provider_core.ProviderError as exc:
            message = exc.message
        print(json.dumps(message))
        """,
    )
    assert isinstance(found, str)
    assert found.startswith(f"plugin 'plugin:{name}' failed"), found


def _discover_in_child(
    root: Path, timeout: float, discovery_timeout: str = "10"
) -> subprocess.CompletedProcess[str]:
    repo = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(root), str(repo)]),
        "PROVIDER_CORE_DISCOVERY_TIMEOUT": discovery_timeout,
    }
    code = "import provider_core; r = provider_core.discover(); print(r.broken_plugins())"
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=timeout
    )


def test_a_base_exception_at_import_is_reported_not_raised(tmp_path: Path) -> None:
    _install(tmp_path, {"doom": "class Doom(BaseException):\n    pass\nraise Doom('at import')\n"})
    done = _discover_in_child(tmp_path, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Doom: at import" in done.stdout


def test_a_plugin_hanging_at_import_does_not_hang_discovery(tmp_path: Path) -> None:
    _install(tmp_path, {"hangs": "import time\ntime.sleep(3600)\n"})
    done = _discover_in_child(tmp_path, timeout=60, discovery_timeout="2")
    assert done.returncode == 0, done.stderr
    assert "hangs" in done.stdout


def test_an_unknown_provider_name_in_a_broken_plugin_does_not_hide_the_real_ones(tmp_path: Path) -> None:
    _install(tmp_path, {**AT_IMPORT, **CALL_TIME})
    names = run_python(
        tmp_path,
        "import json, provider_core\nprint(json.dumps(provider_core.discover(retry=None).names()))",
    )
    assert {"memory", "aws", "lambda", "runpod", "orbstack"} <= set(names)
