"""spawn, ls, get, terminate and sweep, each call a separate `providers` process sharing one state file."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

from provider_core.author import IDEMPOTENCY_TAG, MANAGED_TAG
from tests.cli.conftest import Cli, with_distribution
from tests.cli.fakeprov import BOOTSTRAP_TAG, GrowingProvider

# Long enough that a row of the instance table is far wider than 80 columns.
LONG_NAME = "batch-worker-" + "x" * 60 + "-end"


def spawn(cli: Cli, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok("spawn", "memory", "--type", "mem.small", *extra, "--json").json()
    return data


def test_spawn_ls_get_terminate_round_trip(cli: Cli) -> None:
    made = spawn(cli, "--name", "web-1", "--region", "mem-west", "--tag", "team=infra")
    assert made["status"] == "running"
    assert made["region"] == "mem-west"
    assert made["tags"] == {"team": "infra", MANAGED_TAG: "true"}
    listed = cli.ok("ls", "memory", "--json").json()
    assert [i["id"] for i in listed] == [made["id"]]
    got = cli.ok("get", "memory", made["id"], "--json").json()
    assert got["name"] == "web-1"
    done = cli.ok("terminate", "memory", made["id"], "--json").json()
    assert done == {"terminated": [made["id"]], "failed": [], "not_found": []}
    assert cli.ok("get", "memory", made["id"], "--json").json()["status"] == "terminated"
    human = cli.ok("ls", "memory").stdout
    assert made["id"] in human
    assert "terminated" in human


def test_spawn_passes_spot_image_and_a_bootstrap_file(cli: Cli, tmp_path: Path) -> None:
    script = tmp_path / "boot.yaml"
    script.write_text("#cloud-config\nruncmd: [[echo, hi]]\n")
    made = spawn(cli, "--spot", "--image", "img-1", "--bootstrap-file", str(script))
    assert made["spot"] is True
    checksum = hashlib.sha256(script.read_bytes()).hexdigest()
    assert made["tags"][BOOTSTRAP_TAG] == f"cloud-init:{checksum[:12]}"
    script.write_text("#!/bin/sh\necho hi\n")
    assert spawn(cli, "--bootstrap-file", str(script))["tags"][BOOTSTRAP_TAG].startswith("shell:")
    missing = cli("spawn", "memory", "--type", "mem.small", "--bootstrap-file", str(tmp_path / "none"))
    assert missing.code == 2
    assert "does not exist" in missing.stderr


def test_idempotency_key_returns_the_same_instance(cli: Cli) -> None:
    first = spawn(cli, "--idempotency-key", "deploy-42")
    again = spawn(cli, "--idempotency-key", "deploy-42")
    assert again["id"] == first["id"]
    assert first["tags"][IDEMPOTENCY_TAG] == "deploy-42"


def test_ls_filters_by_status_region_tag_and_name(cli: Cli) -> None:
    east = spawn(cli, "--name", "east-a", "--tag", "role=db")
    west = spawn(cli, "--name", "west-a", "--region", "mem-west", "--tag", "role=web")
    gone = spawn(cli, "--name", "east-b", "--tag", "role=db")
    cli.ok("terminate", "memory", gone["id"])

    def ids(*filters: str) -> list[str]:
        return sorted(i["id"] for i in cli.ok("ls", "memory", *filters, "--json").json())

    assert ids("--region", "mem-west") == [west["id"]]
    assert ids("--tag", "role=db") == sorted([east["id"], gone["id"]])
    assert ids("--tag", "role=db", "--status", "running") == [east["id"]]
    assert ids("--name-prefix", "east-") == sorted([east["id"], gone["id"]])
    assert ids("--status", "terminated") == [gone["id"]]


def test_sweep_asks_first_and_terminates_only_matching_live_instances(cli: Cli) -> None:
    keep = spawn(cli, "--tag", "env=prod")
    doomed = [spawn(cli, "--tag", "env=ci")["id"] for _ in range(2)]

    refused = cli.on_terminal("sweep", "memory", "--tag", "env=ci", input="n\n")
    assert refused.code == 1
    assert "Terminate these 2 instance(s)" in refused.stdout
    assert all(i["status"] == "running" for i in cli.ok("ls", "memory", "--json").json())

    swept = cli.on_terminal("sweep", "memory", "--tag", "env=ci", input="y\n")
    assert swept.code == 0, swept.stdout
    assert all(f"terminated {i}" in swept.stdout for i in doomed)
    statuses = {i["id"]: i["status"] for i in cli.ok("ls", "memory", "--json").json()}
    assert statuses == {keep["id"]: "running", doomed[0]: "terminated", doomed[1]: "terminated"}

    again = cli.ok("sweep", "memory", "--yes", "--json").json()
    assert again["terminated"] == [keep["id"]]
    assert again["remaining"] == []


def test_sweep_without_a_terminal_or_yes_refuses_instead_of_prompting(cli: Cli) -> None:
    made = spawn(cli, "--tag", "env=ci")
    run = cli("sweep", "memory", "--tag", "env=ci", input="y\n")
    assert run.code == 2
    assert "pass --yes" in run.stderr
    assert "aborted" not in run.output
    assert cli.ok("get", "memory", made["id"], "--json").json()["status"] == "running"


def test_terminate_says_when_an_id_never_existed(cli: Cli) -> None:
    made = spawn(cli)
    data = cli.ok("terminate", "memory", "mem-999", made["id"], "--json").json()
    assert data == {"terminated": [made["id"]], "failed": [], "not_found": ["mem-999"]}
    human = cli.ok("terminate", "memory", "mem-998")
    assert human.stdout.strip() == "not found mem-998 (nothing to terminate)"


@pytest.mark.parametrize("answer", ["--yes", "y"])
def test_sweep_never_terminates_an_instance_that_appeared_after_the_listing(
    cli: Cli, tmp_path: Path, answer: str
) -> None:
    growing = with_distribution(
        cli,
        tmp_path / "site",
        "provider-growfake",
        {"growing": "tests.cli.fakeprov:growing_registration"},
        "1.0",
    )
    shown = growing.ok("spawn", "growing", "--type", "mem.small", "--tag", "env=ci", "--json").json()
    if answer == "--yes":
        run = growing("sweep", "growing", "--tag", "env=ci", "--yes", "--json")
        assert run.code == 0, run.output
        assert run.json() == {"terminated": [shown["id"]], "failed": [], "remaining": []}
    else:
        run = growing.on_terminal("sweep", "growing", "--tag", "env=ci", input="y\n")
        assert run.code == 0, run.output
        assert "Terminate these 1 instance(s)" in run.stdout
        assert run.stdout.strip().endswith(f"terminated {shown['id']}")
    # get, unlike ls, does not list: it adds no instance of its own.
    newcomer = growing.ok("get", "growing", "mem-2", "--json").json()
    assert newcomer["name"] == GrowingProvider.NEWCOMER
    assert newcomer["tags"]["env"] == "ci"  # it matches the sweep's filter, and was still left alone
    assert newcomer["status"] == "running"
    assert growing.ok("get", "growing", shown["id"], "--json").json()["status"] == "terminated"


def whole_word(text: str, word: str) -> bool:
    return re.search(rf"(?<![\w-]){re.escape(word)}(?![\w-])", text) is not None


def test_sweep_confirmation_shows_whole_ids_in_a_narrow_terminal(cli: Cli) -> None:
    made = [spawn(cli, "--name", LONG_NAME, "--tag", "env=ci")["id"] for _ in range(2)]
    run = cli.on_terminal("sweep", "memory", "--tag", "env=ci", input="n\n", env={"COLUMNS": "40"})
    assert run.code == 1
    assert all(whole_word(run.stdout, i) for i in made), run.stdout


def test_a_narrow_terminal_drops_columns_but_never_cuts_an_id(cli: Cli) -> None:
    made = spawn(cli, "--name", LONG_NAME)["id"]
    listing = cli("ls", "memory", env={"COLUMNS": "60"})
    assert listing.code == 0, listing.output
    assert whole_word(listing.stdout, made), listing.stdout
    assert max(len(line) for line in listing.stdout.splitlines()) <= 60
    assert "not shown at this width" in listing.stdout


def test_tables_fit_80_columns_without_breaking_a_word(cli: Cli) -> None:
    """The issue's `termi/nated`: at 80 columns every row is one line and every value is whole."""
    made = [spawn(cli, "--name", f"worker-{n}", "--tag", "team=ml") for n in range(3)]
    cli.ok("terminate", "memory", made[0]["id"])
    listing = cli("ls", "memory", env={"COLUMNS": "80"}).stdout
    lines = listing.splitlines()
    assert max(len(line) for line in lines) <= 80, listing
    for instance in made:
        [row] = [line for line in lines if whole_word(line, instance["id"])]
        assert whole_word(row, instance["name"]), listing
    assert any(whole_word(line, "terminated") for line in lines), listing
    shown = cli("get", "memory", made[1]["id"], env={"COLUMNS": "80"}).stdout
    assert max(len(line) for line in shown.splitlines()) <= 80, shown
    [created] = [line for line in shown.splitlines() if line.startswith("created")]
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", created), shown
    assert "tag team" in shown


def test_spawn_json_is_an_object_like_get(cli: Cli) -> None:
    made = spawn(cli, "--name", "obj")
    assert made == cli.ok("get", "memory", made["id"], "--json").json()


def test_sweep_also_deletes_the_snapshots_and_spot_requests_it_lists(cli: Cli) -> None:
    import provider_core
    from provider_orbstack.testing import test_double

    with test_double() as settings:
        registry = provider_core.ProviderRegistry()
        registry.add(provider_core.discover().registration("orbstack"))
        handle = registry.get("orbstack", **settings)
        made = handle.spawn(provider_core.SpawnOptions(name="swept", instance_type="small"))
        assert handle.snapshots is not None
        snapshot = handle.snapshots.create(made.id, "nightly")
        assert [r.id for r in provider_core.resource_candidates(handle)] == [snapshot.id]
        handle.close()
        pairs = [f"--set={key}={value}" for key, value in settings.items()]
        swept = cli.ok("sweep", "orbstack", "--yes", "--json", *pairs).json()
        assert {made.id, snapshot.id} <= set(swept["terminated"]), swept
        assert provider_core.resource_candidates(handle) == []
