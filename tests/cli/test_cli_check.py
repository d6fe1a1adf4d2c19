"""`providers check`: the compliance suite in a subprocess, summarised, with its verdict as exit code."""

from __future__ import annotations

from tests.cli.conftest import Cli


def test_check_passes_a_compliant_provider(cli: Cli) -> None:
    run = cli("check", "memory", "--json")
    assert run.code == 0, run.output
    report = run.json()
    assert report["ok"] is True
    assert report["counts"]["passed"] > 0
    assert report["counts"]["failed"] == report["counts"]["error"] == 0
    assert report["problems"] == []


def test_check_reports_which_contract_failed_and_why(cli: Cli) -> None:
    # The leaky provider never terminates; a short suite timeout keeps the test quick.
    select = ("check", "leaky", "-k", "terminated_instance_ends")
    suite = ("--", "--compliance-timeout", "0.5")
    run = cli(*select, "--json", *suite)
    assert run.code == 1
    problems = run.json()["problems"]
    assert any(
        p["outcome"] == "failed"
        and "terminate did not take effect" in p["message"]
        and "[leaky]" in p["test"]
        for p in problems
    )
    human = cli(*select, *suite)
    assert human.code == 1
    assert "compliance of leaky: FAILED" in human.stdout
    assert "test_terminated_instance_ends_terminated_or_absent[leaky]" in human.stdout


def test_check_usage_errors(cli: Cli) -> None:
    assert cli("check", "nope").code == 2
    no_env = cli("check", "memory", "--set", "region=mem-west")
    assert no_env.code == 2
    assert "setting 'region' of 'memory' has no environment variable" in no_env.stderr
    nothing = cli("check", "memory", "-k", "no_test_has_this_name")
    assert nothing.code == 1
    assert "compliance suite for 'memory': no tests collected" in nothing.stderr
