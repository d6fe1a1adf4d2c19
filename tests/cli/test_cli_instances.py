"""spawn, ls, get, terminate and sweep, each call a separate `providers` process sharing one state file."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from provider_core import IDEMPOTENCY_TAG, MANAGED_TAG
from tests.cli.conftest import Cli
from tests.cli.fakeprov import BOOTSTRAP_TAG


def spawn(cli: Cli, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = cli.ok("spawn", "memory", "--type", "mem.small", *extra, "--json").json()[0]
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
    assert done == {"terminated": [made["id"]], "failed": []}
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

    refused = cli("sweep", "memory", "--tag", "env=ci", input="n\n")
    assert refused.code == 1
    assert "Terminate these 2 instance(s)" in refused.stderr
    assert all(i["status"] == "running" for i in cli.ok("ls", "memory", "--json").json())

    swept = cli.ok("sweep", "memory", "--tag", "env=ci", input="y\n").stdout
    assert all(f"terminated {i}" in swept for i in doomed)
    statuses = {i["id"]: i["status"] for i in cli.ok("ls", "memory", "--json").json()}
    assert statuses == {keep["id"]: "running", doomed[0]: "terminated", doomed[1]: "terminated"}

    again = cli.ok("sweep", "memory", "--yes", "--json").json()
    assert again["terminated"] == [keep["id"]]
    assert again["remaining"] == []


def test_terminate_an_unknown_id_is_not_an_error(cli: Cli) -> None:
    assert cli.ok("terminate", "memory", "mem-999", "--json").json()["terminated"] == ["mem-999"]
