"""Terminal habits: --version, help, did-you-mean, exit codes, --wait, info's catalog, Ctrl-C."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from pathlib import Path

from provider_core import ErrorCode, ProviderError
from provider_core.cli._common import hint
from tests.cli.conftest import PROVIDERS, Cli, with_distribution


def test_version_and_help_without_a_command_exit_0(cli: Cli) -> None:
    assert cli.ok("--version").stdout.startswith("providers, version ")
    bare = cli.ok()
    assert "Commands:" in bare.stdout
    assert "Exit codes:" in bare.stdout


def test_a_mistyped_provider_gets_a_suggestion(cli: Cli) -> None:
    run = cli("ls", "memroy")
    assert run.code == 2
    assert "did you mean 'memory'?" in run.stderr


def test_unknown_settings_and_bad_values_both_exit_2(cli: Cli) -> None:
    for args in (
        ("ls", "memory", "--set", "nosuch=1"),
        ("ls", "memory", "--set", "boot_reads=-1"),
        ("demo", "--provider", "memory", "--set", "memory.boot_reads=lots"),
    ):
        run = cli(*args)
        assert run.code == 2, (args, run.output)
        assert "setting" in run.stderr


def test_spawn_wait_shows_progress_until_running(cli: Cli) -> None:
    run = cli.ok("spawn", "memory", "--type", "mem.small", "--wait", "--set", "boot_reads=3", "--json")
    made = run.json()
    assert made["status"] == "running"
    assert f"{made['id']}: pending after" in run.stderr
    assert f"{made['id']}: running after" in run.stderr
    # Without --wait the instance comes back as the provider answered.
    assert (
        cli.ok("spawn", "memory", "--type", "mem.small", "--set", "boot_reads=3", "--json").json()["status"]
        == "pending"
    )


def test_info_lists_the_catalog_when_the_provider_has_one(cli: Cli) -> None:
    data = cli.ok("info", "memory", "--json").json()
    assert data["catalog"]["available"] is True
    assert data["catalog"]["instance_types"] == ["mem.small", "mem.large"]
    assert data["catalog"]["regions"] == ["mem-east", "mem-west"]
    human = cli.ok("info", "memory").stdout
    assert "instance types: mem.small, mem.large" in human
    spawn = cli("spawn", "memory", "--type", "mem.huge")
    assert spawn.code == 3
    assert "catalog in `providers info memory`" in spawn.stderr


def test_the_invalid_spec_hint_sends_nobody_to_info_without_a_catalog() -> None:
    # lambda lists no catalog: info could not help, so the hint says where else to look.
    text = hint(ProviderError(ErrorCode.INVALID_SPEC, "no such type", provider="lambda"))
    assert "providers info" not in text
    assert "documentation" in text


def test_the_orbstack_sim_shows_its_state_path(cli: Cli, tmp_path: Path) -> None:
    state = tmp_path / "sim.db"
    env = {"ORBSTACK_SIM_STATE": str(state), "ORBSTACK_BACKEND": "sim"}
    data = cli("info", "orbstack", "--json", env=env)
    assert data.code == 0, data.output
    catalog = data.json()["catalog"]
    assert catalog["details"] == {"backend": "sim", "state": str(state)}
    assert "small" in catalog["instance_types"]


def test_a_demo_where_every_step_was_skipped_does_not_pass(cli: Cli, tmp_path: Path) -> None:
    extra = with_distribution(
        cli,
        tmp_path / "site",
        "provider-nodouble",
        {"nodouble": "tests.cli.fakeprov:no_double_registration"},
        "1",
    )
    run = extra("demo", "--provider", "nodouble", "--no-chaos")
    assert run.code == 1
    assert "demo passed" not in run.stdout
    assert "did not run: every step was skipped" in run.stdout
    assert extra("demo", "--provider", "nodouble", "--no-chaos", "--json").json()["ok"] is False


def test_ctrl_c_stops_the_demo_at_once_and_cleans_up(cli: Cli) -> None:
    """A real SIGINT while the demo waits for instances that never boot."""
    args = ["demo", "--provider", "memory", "--no-chaos", "--timeout", "600", "--json"]
    process = subprocess.Popen(
        [str(PROVIDERS), *args, "--set", "memory.boot_reads=100000000"],
        env=cli.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    for line in process.stderr:  # the bootstrap step is done: the spawn step is next, then it waits
        if "bootstrap" in line:
            break
    process.send_signal(signal.SIGINT)
    sent = time.monotonic()
    stdout, stderr = process.communicate(timeout=60)
    # A coarse sanity bound only: the wait alone would last ten minutes.
    assert time.monotonic() - sent < 30
    assert process.returncode == 130, stderr
    data = json.loads(stdout)
    assert data["interrupted"] is True
    assert data["ok"] is False
    steps = {s["step"]: s for s in data["providers"][0]["steps"]}
    assert "terminate" in steps, (data, stderr)
    assert steps["terminate"]["status"] == "ok"
    assert steps["leaks"]["status"] == "ok", steps["leaks"]
    assert steps["stop"]["status"] == "ok"
    assert "interrupted" in stderr
