"""Ctrl-C: every command stops within about a second and cleans up what it made, or says what is left.

Each test sends a real SIGINT to a `providers` process at a known point (a line on its stderr, or a file).
Time bounds are generous (the machine may be busy): what they catch is a command waiting out a 10 s grace
or a call that never returns.
"""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from attrs import frozen

from tests.cli.conftest import PROVIDERS, Cli
from tests.cli.fakeprov import REFUSE_ENV, STALL_ENV, STALLS
from tests.cli.hang_teardown import MARKER_ENV

# Far beyond "about a second", far below the 10 s grace and the hangs these tests provoke.
PROMPTLY = 6.0
NEVER_BOOTS = "boot_reads=100000000"


@frozen
class Interrupted:
    code: int
    stdout: str
    stderr: str
    seconds: float  # from the last SIGINT to the exit


class Running:
    """A `providers` process, read line by line on stderr until the test interrupts it."""

    def __init__(self, cli: Cli, *args: str, env: Mapping[str, str] | None = None) -> None:
        self.process = subprocess.Popen(
            [str(PROVIDERS), *args],
            env={**cli.env, **(env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.seen: list[str] = []

    def until(self, text: str) -> str:
        """Read stderr up to the first line containing text; that line."""
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.seen.append(line)
            if text in line:
                return line
        self.process.wait(timeout=30)
        raise AssertionError(f"exited {self.process.returncode} before {text!r}: {''.join(self.seen)}")

    def interrupt(self) -> float:
        self.process.send_signal(signal.SIGINT)
        return time.monotonic()

    def finish(self, sent: float) -> Interrupted:
        stdout, stderr = self.process.communicate(timeout=60)
        seconds = time.monotonic() - sent
        return Interrupted(self.process.returncode, stdout, "".join(self.seen) + stderr, seconds)


Start = Callable[..., Running]


@pytest.fixture
def start(cli: Cli) -> Iterator[Start]:
    """start(*args, env=...): a Running `providers`; any still running after the test is killed."""
    started: list[Running] = []

    def run(*args: str, env: Mapping[str, str] | None = None) -> Running:
        started.append(Running(cli, *args, env=env))
        return started[-1]

    yield run
    for running in started:
        if running.process.poll() is None:
            running.process.kill()
            running.process.communicate()


def removal_command(stderr: str) -> list[str]:
    """The arguments of the `providers ...` command a message says removes what was left."""
    found = re.search(r"remove (?:it )?with `providers ([^`]+)`", stderr)
    assert found, stderr
    return shlex.split(found[1])


def instances(cli: Cli) -> dict[str, dict[str, Any]]:
    return {i["id"]: i for i in cli.ok("ls", "memory", "--json").json()}


# -- spawn -----------------------------------------------------------------------------------------


def test_ctrl_c_during_spawn_wait_terminates_the_instance(cli: Cli, start: Start) -> None:
    run = start("spawn", "memory", "--type", "mem.small", "--wait", "--set", NEVER_BOOTS)
    instance_id = run.until(": pending after").split(":")[0]
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY
    assert f"terminating {instance_id}, which this command spawned" in done.stderr
    assert f"terminated {instance_id}" in done.stderr
    assert instances(cli)[instance_id]["status"] == "terminated"


@pytest.mark.parametrize("older", [False, True], ids=["created now", "created before"])
def test_with_an_idempotency_key_only_an_instance_this_command_created_is_terminated(
    cli: Cli, start: Start, older: bool
) -> None:
    """The same key answers with the same instance: one made by an earlier command is not this one's."""
    key = ("--idempotency-key", "deploy-7", "--set", NEVER_BOOTS)
    before = cli.ok("spawn", "memory", "--type", "mem.small", *key, "--json").json() if older else None
    run = start("spawn", "memory", "--type", "mem.small", "--wait", *key)
    instance_id = run.until(": pending after").split(":")[0]
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    if before is None:
        assert instances(cli)[instance_id]["status"] == "terminated"
        return
    assert instance_id == before["id"]
    assert instances(cli)[instance_id]["status"] == "pending"
    assert f"{instance_id} is left, since its --idempotency-key may have been answered" in done.stderr
    assert removal_command(done.stderr)[:3] == ["terminate", "memory", instance_id]


@pytest.mark.parametrize("trouble", ["terminate refused", "second ctrl-c"])
def test_when_cleanup_cannot_finish_the_instance_left_and_its_command_are_named(
    cli: Cli, start: Start, trouble: str
) -> None:
    env = {REFUSE_ENV: "terminate"} if trouble == "terminate refused" else {STALL_ENV: "terminate"}
    run = start("spawn", "memory", "--type", "mem.small", "--wait", "--set", NEVER_BOOTS, env=env)
    instance_id = run.until(": pending after").split(":")[0]
    sent = run.interrupt()
    if trouble == "second ctrl-c":
        run.until(f"{STALLS} terminate")
        sent = run.interrupt()
    done = run.finish(sent)
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY
    if trouble == "second ctrl-c":
        assert "a second Ctrl-C stopped the cleanup" in done.stderr
    else:
        assert "UNAVAILABLE [memory]: terminate refused" in done.stderr
    assert f"left at memory: {instance_id}; remove with" in done.stderr
    assert instances(cli)[instance_id]["status"] == "pending"
    # The command printed is exact: run as it stands (without the trouble), it removes the instance.
    args = removal_command(done.stderr)
    assert args[:3] == ["terminate", "memory", instance_id]
    assert cli.ok(*args).stdout.strip() == f"terminated {instance_id}"


def test_ctrl_c_while_spawning_terminates_the_instance_found_by_its_generated_name(
    cli: Cli, start: Start
) -> None:
    # The provider creates the instance and never answers: only its name can tell the command about it.
    run = start("spawn", "memory", "--type", "mem.small", env={STALL_ENV: "spawn"})
    run.until(f"{STALLS} spawn")
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY
    [made] = instances(cli).values()
    assert made["name"].startswith("providers-")
    assert f"looking for an instance named {made['name']} to terminate" in done.stderr
    assert f"terminated {made['id']}" in done.stderr
    assert made["status"] == "terminated"


def test_ctrl_c_while_spawning_with_a_given_name_terminates_nothing(cli: Cli, start: Start) -> None:
    older = cli.ok("spawn", "memory", "--type", "mem.small", "--name", "web", "--json").json()
    run = start("spawn", "memory", "--type", "mem.small", "--name", "web", env={STALL_ENV: "spawn"})
    run.until(f"{STALLS} spawn")
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY
    assert "none is terminated" in done.stderr
    assert "`providers ls memory --name-prefix web`" in done.stderr
    both = instances(cli)
    assert len(both) == 2
    assert {i["status"] for i in both.values()} == {"running"}
    assert older["id"] in both


# -- check -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("live", [False, True], ids=["test double", "live"])
def test_ctrl_c_stops_check_at_once_and_sweeps_what_the_suite_made(
    cli: Cli, start: Start, tmp_path: Path, live: bool
) -> None:
    """pytest's teardowns hang: the check kills it after a short grace and cleans up from its own process.

    Live, the suite's instances are in the state file the provider reads from the environment; against
    the test double, they are in the double's temporary files.
    """
    marker, temp = tmp_path / "hanging", tmp_path / "tmp"
    temp.mkdir()
    args = ["check", "memory", "-k", "test_spawn_returns_id_and_valid_status", *(["--live"] if live else [])]
    env = {MARKER_ENV: str(marker), "TMPDIR": str(temp)}
    run = start(*args, "--", "-p", "tests.cli.hang_teardown", env=env)
    deadline = time.monotonic() + 60
    while not marker.exists():  # until the test has spawned and its teardown hangs
        assert run.process.poll() is None, run.finish(time.monotonic())
        assert time.monotonic() < deadline, "the suite never reached a teardown"
        time.sleep(0.05)
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY, done.stderr
    assert "pytest had not finished its teardowns: killed it, and what it started" in done.stderr
    assert list(temp.iterdir()) == []
    if live:
        [made] = instances(cli).values()
        assert made["name"].startswith("cc-")
        assert made["status"] == "terminated"
        assert f"swept: {made['id']}" in done.stderr
    else:
        assert "lived in memory's local test double, which ended with pytest" in done.stderr


# -- demo ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("stalls", ["list_instances", "list_instances,terminate"])
def test_ctrl_c_leaves_a_provider_stuck_in_a_call_behind(
    cli: Cli, start: Start, tmp_path: Path, stalls: str
) -> None:
    """The demo's worker hangs in list_instances; after Ctrl-C the command still ends at once. Its cleanup
    runs from the main thread, or, when terminate hangs as well, the command that removes what is left is
    printed, and it works."""
    state = tmp_path / "demo.json"
    args = ["demo", "--provider", "memory", "--no-chaos", "--json", "--set", f"memory.state={state}"]
    run = start(*args, env={STALL_ENV: stalls})
    run.until(f"{STALLS} list_instances")
    done = run.finish(run.interrupt())
    assert done.code == 130, done.stderr
    assert done.seconds < PROMPTLY, done.stderr
    data = json.loads(done.stdout)
    assert data["interrupted"] is True
    steps = {s["step"]: s for s in data["providers"][0]["steps"]}
    assert steps["list"]["status"] == "failed"
    assert steps["list"]["detail"] == "a provider call did not return (left behind after Ctrl-C)"
    assert steps["stop"]["detail"] == "not done: stuck in step 'list' (left behind after Ctrl-C)"
    [stuck] = data["stuck"]
    assert stuck["step"] == "list"
    assert "memory: a provider call in step 'list' did not return" in done.stderr
    in_state = Cli({**cli.env, "MEMFAKE_STATE": str(state)})
    statuses = {i["status"] for i in in_state.ok("ls", "memory", "--json").json()}
    if stalls == "list_instances":
        assert (steps["terminate"]["status"], steps["leaks"]["status"]) == ("ok", "ok")
        assert stuck["not_done"] == ["stop"]
        assert stuck["command"] is None
        assert statuses == {"terminated"}
        return
    assert stuck["not_done"] == ["terminate", "leaks", "stop"]
    assert statuses == {"running"}
    assert f"remove them with {stuck['command']}" in done.stderr
    swept = in_state(*shlex.split(stuck["command"].strip("`"))[1:])
    assert swept.code == 0, swept.output
    assert {i["status"] for i in in_state.ok("ls", "memory", "--json").json()} == {"terminated"}
