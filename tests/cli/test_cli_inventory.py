"""`providers list` and `providers info`, and the terminal habits they share."""

from __future__ import annotations

from provider_core import Capabilities
from provider_core.testing.memory import CAPABILITIES
from tests.cli.conftest import FAKE_DISTRIBUTION, FAKE_VERSION, Cli

# Cloud SDKs must never load for `list`; pytest and moto would only mean the CLI imports too eagerly.
HEAVY = {"boto3", "botocore", "httpx", "moto", "pytest", "_pytest"}


def test_list_json_reports_versions_tiers_flags_and_broken_providers(cli: Cli) -> None:
    data = cli.ok("list", "--json").json()
    memory = next(p for p in data["providers"] if p["name"] == "memory")
    assert memory["version"] == FAKE_VERSION
    assert memory["distribution"] == f"{FAKE_DISTRIBUTION} {FAKE_VERSION}"
    assert memory["tier"] == "testing"
    assert memory["capabilities"] == {f: getattr(CAPABILITIES, f) for f in Capabilities.flag_names()}
    assert "no_such_registration" in data["broken"]["broken"]
    assert "broken" not in [p["name"] for p in data["providers"]]


def test_list_table_shows_every_flag_and_the_broken_reason(cli: Cli) -> None:
    out = cli.ok("list").stdout
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    header = next(line.split() for line in out.splitlines() if line.split()[:1] == ["capability"])
    column = header.index("memory")
    for flag in Capabilities.flag_names():
        assert lines[flag][column - 1] == ("yes" if getattr(CAPABILITIES, flag) else "-")
    assert "broken provider broken:" in out
    assert "\x1b[" not in out  # stdout is a pipe: no colour


def test_list_never_imports_a_cloud_sdk(cli: Cli) -> None:
    # PYTHONPROFILEIMPORTTIME is `python -X importtime` for the console script: every import, on stderr.
    # Without the registration index, so the full scan is what is measured (tests/cli/test_cli_index.py
    # covers the path that reads the index).
    run = cli("list", "--json", env={"PYTHONPROFILEIMPORTTIME": "1", "PROVIDER_CORE_INDEX": "off"})
    assert run.code == 0, run.stderr
    imported = {
        line.split("|")[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")
    }
    assert "provider_core.cli" in imported
    assert "provider_core.testing.memory" in imported  # discovery really imported the registrations
    assert not {m for m in imported if m.split(".")[0] in HEAVY}


def test_info_shows_settings_env_vars_workflows_and_redacts_secrets(cli: Cli) -> None:
    data = cli.ok(
        "info", "memory", "--set", "api_key=s3cret-value", "--set", "region=mem-west", "--json"
    ).json()
    settings = {s["name"]: s for s in data["settings"]}
    assert settings["api_key"] == {
        "name": "api_key",
        "env": "MEMFAKE_API_KEY",
        "secret": True,
        "description": "API key",
        "source": "--set",
        "value": "***",
    }
    assert settings["region"]["value"] == "mem-west"
    assert settings["state"]["source"] == "env MEMFAKE_STATE"
    assert data["workflows"] == {"noop": "Does nothing, to be listed by `providers info`."}
    assert data["compliance"]["test_double"] is True
    assert data["bootstrap_formats"] == ["cloud-init", "shell"]
    human = cli.ok("info", "memory", "--set", "api_key=s3cret-value")
    assert "s3cret-value" not in human.output
    assert "MEMFAKE_API_KEY" in human.stdout


def test_colour_on_a_terminal_unless_no_color(cli: Cli) -> None:
    coloured = cli.on_terminal("list", env={"TERM": "xterm-256color"})
    plain = cli.on_terminal("list", env={"TERM": "xterm-256color", "NO_COLOR": "1"})
    assert coloured.code == plain.code == 0
    assert "\x1b[" in coloured.stdout
    assert "\x1b[" not in plain.stdout
