"""The suite passes the reference provider, drives its test double, skips by flag and runs contracts."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

from tests.compliance import providers
from tests.compliance.harness import UNRELATED_PLUGINS, run_suite

pytest_plugins = ["pytester"]

QUIET = tuple(f"-pno:{plugin}" for plugin in ("cacheprovider", *UNRELATED_PLUGINS))

# What the suite checks; losing one of these from a run against the reference provider is a regression.
CORE_RULES = {
    "test_spawn_returns_id_and_valid_status",
    "test_spawned_instance_is_visible",
    "test_spawn_creates_exactly_one_instance",
    "test_management_tag_is_present",
    "test_terminate_is_idempotent",
    "test_terminate_unknown_id_is_a_no_op",
    "test_terminated_instance_ends_terminated_or_absent",
    "test_get_instance_returns_none_for_unknown_id",
    "test_impossible_spec_raises_invalid_spec",
    "test_handle_returns_generic_types",
    "test_list_filter_by_status",
    "test_list_filter_by_tags",
    "test_list_filter_by_name_prefix",
    "test_bootstrap_has_content_format_and_checksum",
    "test_shell_bootstrap_passes_bash_n",
    "test_cloud_init_bootstrap_is_yaml",
    "test_declared_capabilities_match_methods",
}
GATED_RULES = {
    "test_list_filter_by_region": "multi_region",
    "test_idempotent_spawn_returns_the_same_instance": "idempotent_spawn",
    "test_a_key_stays_bound_to_its_terminated_instance": "idempotent_spawn",
    "test_snapshot_lifecycle": "snapshots",
    "test_snapshot_of_unknown_instance_is_not_found": "snapshots",
    "test_spot_prices": "spot",
    "test_spot_request_and_cancel": "spot",
}


@pytest.fixture(autouse=True)
def double_events() -> Iterator[list[str]]:
    providers.DOUBLE_EVENTS.clear()
    yield providers.DOUBLE_EVENTS
    providers.DOUBLE_EVENTS.clear()


def test_memory_provider_passes_every_rule(pytester: pytest.Pytester, double_events: list[str]) -> None:
    run = run_suite(pytester, "memory")
    assert run.exit_code == pytest.ExitCode.OK, run.failed
    assert not run.failed
    assert {f"{rule}[memory]" for rule in CORE_RULES | set(GATED_RULES)} <= run.passed
    assert all(name.endswith("[memory]") for name in run.passed)
    # One test double per provider per session, stopped after the leak check.
    assert double_events == ["enter", "exit"]


def test_live_skips_the_test_double(pytester: pytest.Pytester, double_events: list[str]) -> None:
    run = run_suite(pytester, "memory", extra=("--live", "-k", "valid_status"))
    assert run.passed == {"test_spawn_returns_id_and_valid_status[memory]"}
    assert double_events == []


def test_a_registration_object_needs_no_factory(pytester: pytest.Pytester, double_events: list[str]) -> None:
    run = run_suite(pytester, "PLAIN", extra=("-k", "valid_status"))
    assert run.passed == {"test_spawn_returns_id_and_valid_status[memory]"}
    assert double_events == []


def test_gated_rules_skip_naming_the_flag(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "minimal")
    assert run.exit_code == pytest.ExitCode.OK, run.failed
    for rule, flag in GATED_RULES.items():
        reason = run.skipped[f"{rule}[minimal]"]
        assert f"requires capability '{flag}', which provider 'minimal' does not declare" in reason
    assert {f"{rule}[minimal]" for rule in CORE_RULES} <= run.passed


def test_several_providers_in_one_run_have_their_own_ids(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "memory", "minimal", extra=("-k", "valid_status or snapshot_lifecycle"))
    assert run.passed == {
        "test_spawn_returns_id_and_valid_status[memory]",
        "test_spawn_returns_id_and_valid_status[minimal]",
        "test_snapshot_lifecycle[memory]",
    }
    assert set(run.skipped) == {"test_snapshot_lifecycle[minimal]"}


def test_contracts_run_with_the_provider_fixtures(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "memory_with_contracts", "minimal_with_contracts", extra=("-k", "Contract"))
    assert run.passed == {
        "test_default_region_is_the_profile_region[memory]",
        "test_tracked_spawn_is_cleaned_up[memory]",
        "test_snapshots_group_present[memory]",
    }
    assert "requires capability 'snapshots'" in run.skipped["test_snapshots_group_present[minimal]"]


def test_failing_and_leaking_contracts_fail_the_suite(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "memory_with_failing_contracts", extra=("-k", "Contract"))
    assert "contract rule broken by memory" in run.failed["test_broken_rule[memory]"]
    [leak] = [text for name, text in run.failed.items() if name.endswith("(teardown)")]
    assert "leak check (CheckDestroy)" in leak
    assert "-untracked, never returned" in leak


def test_a_registration_that_cannot_load_is_one_clean_error(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(
        "--pyargs", "provider_core.testing", "--registration=tests.compliance.nope:x", *QUIET
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*--registration 'tests.compliance.nope:x' cannot be loaded*"])
    result.stdout.fnmatch_lines(["*1 error*"])


def test_an_unknown_provider_is_one_clean_error(pytester: pytest.Pytester) -> None:
    # In a subprocess: discovery caches the installed providers per process.
    result = pytester.runpytest_subprocess(
        "--pyargs", "provider_core.testing", "--provider=no-such-provider", *QUIET
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*--provider no-such-provider: unknown provider 'no-such-provider'*"])


def test_plugin_is_inert_outside_the_suite(pytester: pytest.Pytester) -> None:
    """Loaded in every pytest run, the plugin must not discover providers nor load the suite there."""
    pytester.makepyfile(
        test_other="""
        import sys
        import provider_core._registry as registry

        def test_nothing_loaded(request):
            assert request.config.getoption("provider") == []
            assert registry._discovered is None
            assert "provider_core.testing.conftest" not in sys.modules
            assert not {"boto3", "botocore", "httpx"} & set(sys.modules)
        """
    )
    result = pytester.runpytest_subprocess(*QUIET)
    result.assert_outcomes(passed=1)
    assert "provider_core.testing.plugin" in sys.modules


def test_a_provider_from_the_original_design_is_held_to_the_script_it_renders(
    pytester: pytest.Pytester,
) -> None:
    """It overrides generate_bootstrap to render shell and declares no formats: cloud-init is not demanded."""
    run = run_suite(pytester, "original_design_shell", extra=("-k", "bootstrap"))
    assert run.exit_code == pytest.ExitCode.OK, run.failed
    assert "test_shell_bootstrap_passes_bash_n[original-design-shell]" in run.passed
    assert (
        "declares no bootstrap_formats"
        in run.skipped["test_cloud_init_bootstrap_is_yaml[original-design-shell]"]
    )
    rejects = run.skipped["test_bootstrap_rejects_formats_it_does_not_deliver[original-design-shell]"]
    assert "declares no bootstrap_formats" in rejects
