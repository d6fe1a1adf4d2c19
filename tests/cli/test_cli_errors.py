"""Exit codes and the one-line error: usage 2, provider error 3, auth 4, no traceback, no secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.cli.conftest import Cli, Run, with_distribution
from tests.cli.fakeprov import BAD_KEY


def one_error_line(run: Run) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.output
    return lines[0]


@pytest.mark.parametrize(
    "args",
    [("ls", "nope"), ("info", "nope"), ("spawn", "nope", "--type", "x"), ("demo", "--provider", "nope")],
)
def test_unknown_provider_is_a_usage_error_naming_the_installed_ones(cli: Cli, args: tuple[str, ...]) -> None:
    run = cli(*args)
    assert run.code == 2
    assert "unknown provider 'nope'; installed providers:" in run.stderr
    assert "memory" in run.stderr


def test_broken_provider_is_a_failure_with_its_reason(cli: Cli) -> None:
    run = cli("ls", "broken")
    assert run.code == 1
    line = one_error_line(run)
    assert "provider 'broken' is installed but broken" in line
    assert "no_such_registration" in line


def test_provider_error_is_one_line_with_code_provider_and_hint(cli: Cli) -> None:
    run = cli("spawn", "memory", "--type", "fail.capacity_error")
    assert run.code == 3
    line = one_error_line(run)
    assert line.startswith("providers: error: CAPACITY_ERROR [memory]: spawn refused")
    assert "hint: no capacity at the provider (capacity, retryable)" in line


def test_provider_error_with_json_is_also_a_document(cli: Cli) -> None:
    run = cli("spawn", "memory", "--type", "fail.quota_exceeded", "--json")
    assert run.code == 3
    error = run.json()["error"]
    assert error["code"] == "QUOTA_EXCEEDED"
    assert error["provider"] == "memory"
    assert error["retryable"] is False
    assert error["hint"].startswith("account quota reached")


def test_not_found_instance_exits_3(cli: Cli) -> None:
    run = cli("get", "memory", "mem-404")
    assert run.code == 3
    assert "NOT_FOUND [memory]: no instance 'mem-404'" in one_error_line(run)


def test_auth_error_exits_4_and_points_at_the_credentials(cli: Cli) -> None:
    run = cli("ls", "memory", "--set", f"api_key={BAD_KEY}")
    assert run.code == 4
    line = one_error_line(run)
    assert "AUTH_ERROR [memory]: the API key was rejected" in line
    assert "MEMFAKE_API_KEY or --set api_key=..." in line
    assert BAD_KEY not in line


@pytest.mark.parametrize("json_flag", [(), ("--json",)])
def test_secret_settings_never_reach_the_output(cli: Cli, json_flag: tuple[str, ...]) -> None:
    secret = "echo-7f3a9c-super-secret"
    run = cli("spawn", "memory", "--type", "fail.invalid_spec", "--set", f"api_key={secret}", *json_flag)
    assert run.code == 3
    assert "(key ***)" in run.output  # the provider quoted it; the CLI redacted it
    assert secret not in run.output


def test_secret_from_the_environment_is_redacted_too(cli: Cli) -> None:
    secret = "echo-from-env-0042"
    run = cli("spawn", "memory", "--type", "fail.invalid_spec", env={"MEMFAKE_API_KEY": secret})
    assert run.code == 3
    assert secret not in run.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("ls", "memory", "--set", "colour=blue"), "unknown setting(s) for provider 'memory': colour"),
        (("ls", "memory", "--set", "api_key"), "--set expects KEY=VALUE"),
        (("ls", "memory", "--status", "sleeping"), "Invalid value for '--status'"),
        (
            ("spawn", "memory", "--type", "mem.small", "--idempotency-key", "bad key!"),
            "invalid spawn options",
        ),
    ],
)
def test_bad_input_is_a_usage_error(cli: Cli, args: tuple[str, ...], message: str) -> None:
    run = cli(*args)
    assert run.code == 2
    assert message in run.stderr
    assert "Traceback" not in run.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("get", "memory", ""), "Invalid value for 'INSTANCE_ID': must not be empty"),
        (("terminate", "memory", "mem-1", " "), "Invalid value for 'INSTANCE_IDS...': must not be empty"),
        (("ls", "memory", "--region", ""), "Invalid value for '--region': must not be empty"),
        (("sweep", "memory", "--region", "", "--yes"), "Invalid value for '--region': must not be empty"),
        (("spawn", "memory", "--type", "mem.small", "--region", ""), "Invalid value for '--region'"),
        (("ls", "memory", "--region", "r" * 5000), "invalid filter: ListFilter.region must be at most"),
    ],
)
def test_empty_or_invalid_ids_and_filters_are_usage_errors(
    cli: Cli, args: tuple[str, ...], message: str
) -> None:
    run = cli(*args)
    assert run.code == 2, run.output
    errors = [line for line in run.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) == 1, run.stderr
    assert message in errors[0]
    assert "unexpected" not in run.output
    assert "Traceback" not in run.output


TWIN = "tests.cli.fakeprov:twin_registration"


def twins(cli: Cli, tmp_path: Path, first: str, second: str) -> Cli:
    """Two distributions that both publish the provider 'twin', installed on top of the usual ones."""
    one = with_distribution(cli, tmp_path / "b", "provider-twin-b", {"twin": second}, "2.0")
    return with_distribution(one, tmp_path / "a", "provider-twin-a", {"twin": first}, "1.0")


def test_a_name_published_twice_is_unusable_until_one_distribution_is_pinned(
    cli: Cli, tmp_path: Path
) -> None:
    both = twins(cli, tmp_path, TWIN, TWIN)
    listing = both.ok("list", "--json").json()
    assert "twin" not in [p["name"] for p in listing["providers"]]
    assert listing["conflicts"] == {
        "twin": {"distributions": ["provider-twin-a 1.0", "provider-twin-b 2.0"], "pinned": None}
    }
    refused = both("ls", "twin")
    assert refused.code == 1, "fails closed: neither distribution is built"
    line = one_error_line(refused)
    assert "provider-twin-a 1.0 and provider-twin-b 2.0" in line
    assert "PROVIDER_CORE_PIN=twin=DISTRIBUTION" in line
    assert "unusable until pinned" in both.ok("list").stdout

    pinned = Cli({**both.env, "PROVIDER_CORE_PIN": "twin=provider-twin-b"})
    assert pinned.ok("info", "twin", "--json").json()["distribution"] == "provider-twin-b 2.0"
    made = pinned.ok("spawn", "twin", "--type", "mem.small", "--json").json()
    assert [i["id"] for i in pinned.ok("ls", "twin", "--json").json()] == [made["id"]]
    assert pinned.ok("list", "--json").json()["conflicts"]["twin"]["pinned"] == "provider-twin-b"
    assert "pinned to provider-twin-b" in pinned.ok("list").stdout
    assert pinned.ok("demo", "--provider", "twin", "--no-chaos", "--json").json()["ok"] is True


def test_a_pin_chooses_even_when_the_other_registration_is_broken(cli: Cli, tmp_path: Path) -> None:
    both = twins(cli, tmp_path, "tests.cli.fakeprov:no_such_twin", TWIN)
    assert both("ls", "twin").code == 1, "a broken impostor still makes the name unusable without a pin"
    working = Cli({**both.env, "PROVIDER_CORE_PIN": "twin=provider-twin-b"})
    assert working.ok("info", "twin", "--json").json()["distribution"] == "provider-twin-b 2.0"
    assert working.ok("ls", "twin", "--json").json() == []
    listed = working.ok("list", "--json").json()
    assert not any("no_such_twin" in why for why in listed["broken"].values()), "the other is never loaded"
    demo = working("demo", "--provider", "twin", "--no-chaos", "--json")
    assert demo.code == 0, demo.output
    assert [p["name"] for p in demo.json()["providers"]] == ["twin"]
    broken = Cli({**both.env, "PROVIDER_CORE_PIN": "twin=provider-twin-a"})
    assert "no_such_twin" in broken.ok("list", "--json").json()["broken"]["twin"]


def test_the_cli_retries_a_throttled_read_with_the_default_policy(cli: Cli) -> None:
    throttle_once = {
        "seed": 1,
        "providers": {
            "memory": {
                "faults": [
                    {"method": "list_instances", "probability": 1.0, "code": "RATE_LIMIT_ERROR", "times": 1}
                ]
            }
        },
    }
    chaos = {"PROVIDER_CORE_CHAOS": json.dumps(throttle_once)}
    failed = cli("ls", "memory", env={**chaos, "PROVIDER_CORE_RETRY": "off"})
    assert failed.code == 3
    assert "RATE_LIMIT_ERROR" in failed.stderr
    recovered = cli("ls", "memory", env={**chaos, "PROVIDER_CORE_RETRY": "attempts=3,delay=0.01"})
    assert recovered.code == 0, recovered.stderr
