"""The suite proves its power: each deliberately broken provider fails it, naming the broken rule."""

from __future__ import annotations

import pytest

from tests.compliance.harness import run_suite

pytest_plugins = ["pytester"]

LEAK = "leak check (CheckDestroy)"

# provider factory in providers.py -> {failing test (without the id) -> text its failure must contain}.
# `exact` cases are precise: no other test fails, so the suite blames the rule that was broken.
CASES: dict[str, tuple[dict[str, str], bool]] = {
    "terminate_does_nothing": (
        {
            "test_terminated_instance_ends_terminated_or_absent": "terminate did not take effect: instance",
            "(teardown)": LEAK,
        },
        False,
    ),
    "spawn_ignores_key": (
        {
            "test_idempotent_spawn_returns_the_same_instance": (
                "idempotent_spawn: the same idempotency_key returned different instances"
            ),
            # A provider that ignores keys breaks the key rule too.
            "test_a_key_stays_bound_to_its_terminated_instance": "the key rule: a spawn with the key of",
        },
        True,
    ),
    "bad_status": (
        {"test_spawn_returns_id_and_valid_status": "spawn returned an invalid status 'booting'"},
        False,
    ),
    # The core adds the management tag before the provider runs: dropping it makes the instance invisible.
    "drops_tags": (
        {"test_spawned_instance_is_visible": "still returns None"},
        False,
    ),
    "wrong_checksum": (
        {"test_bootstrap_has_content_format_and_checksum": "bootstrap checksum is not sha256(content)"},
        False,
    ),
    "shell_does_not_parse": (
        {"test_shell_bootstrap_passes_bash_n": "shell bootstrap does not pass bash -n"},
        True,
    ),
    "spawn_leaks": (
        {
            "test_spawn_creates_exactly_one_instance": "spawn created 2 instances for one call",
            "(teardown)": LEAK,
        },
        True,
    ),
    "flag_without_methods": (
        {"test_provider_can_be_built": "declares 'snapshots' but does not implement delete_snapshot"},
        True,
    ),
    "flag_without_methods_by_path": (
        {"test_provider_can_be_built": "declares 'snapshots' but does not implement delete_snapshot"},
        True,
    ),
}


# Providers that leave a rule to the core: each breaks what a provider had to get right before the core
# owned the contract (filters, NOT_FOUND, terminate idempotency, unmanaged machines), and each passes.
REPAIRED_BY_THE_CORE = (
    "terminate_not_idempotent",
    "list_ignores_region",
    "list_ignores_tags",
    "get_raises",
    "memory_with_unmanaged_machines",
)


@pytest.mark.parametrize("factory", REPAIRED_BY_THE_CORE)
def test_the_core_enforces_the_rules_a_provider_leaves_out(pytester: pytest.Pytester, factory: str) -> None:
    run = run_suite(pytester, factory, timeout=1.0)
    assert run.exit_code == pytest.ExitCode.OK, run.failed
    assert "test_list_filter_by_tags" in {name.split("[", 1)[0] for name in run.passed}


def _matching(failed: dict[str, str], test: str) -> list[str]:
    if test == "(teardown)":
        return [name for name in failed if name.endswith("(teardown)")]
    return [name for name in failed if name.split("[", 1)[0] == test and not name.endswith("(teardown)")]


@pytest.mark.parametrize("factory", sorted(CASES))
def test_broken_provider_fails_the_suite_naming_the_rule(pytester: pytest.Pytester, factory: str) -> None:
    expected, exact = CASES[factory]
    run = run_suite(pytester, factory, timeout=1.0)
    assert run.exit_code == pytest.ExitCode.TESTS_FAILED
    failed = run.failed
    for test, message in expected.items():
        names = _matching(failed, test)
        assert names, f"{factory}: {test} did not fail; failures: {sorted(failed)}"
        assert any(message in failed[name] for name in names), f"{factory}: {test} failed for another reason"
    if exact:
        blamed = {name for test in expected for name in _matching(failed, test)}
        assert set(failed) == blamed, f"{factory}: unrelated rules failed too: {sorted(set(failed) - blamed)}"


def test_leak_check_names_the_surviving_ids(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "spawn_leaks", timeout=1.0)
    [teardown] = [text for name, text in run.failed.items() if name.endswith("(teardown)")]
    assert "provider 'spawn-leaks' still reports instances the suite created as alive" in teardown
    assert "never returned" in teardown
    assert "mem-" in teardown


@pytest.mark.parametrize("factory", ["flag_without_methods", "flag_without_methods_by_path"])
def test_a_provider_that_cannot_be_built_is_reported_once(pytester: pytest.Pytester, factory: str) -> None:
    run = run_suite(pytester, factory)
    assert list(run.failed) == ["test_provider_can_be_built[flag-without-methods]"]
    assert "provider 'flag-without-methods' cannot be built" in next(iter(run.failed.values()))
    # Every other test is skipped before it waits or calls anything, pointing at the one report.
    assert not run.passed
    assert len(run.skipped) >= 20
    assert all("reported once, by test_provider_can_be_built" in why for why in run.skipped.values())


def test_a_provider_that_never_terminates_costs_one_timeout(pytester: pytest.Pytester) -> None:
    run = run_suite(pytester, "never_terminates", timeout=1.0)
    assert run.exit_code == pytest.ExitCode.TESTS_FAILED
    waits = [text for text in run.failed.values() if "1s" in text or "at one look" in text]
    # The first wait that runs out waits the timeout; every later one (other tests, leak check) looks once.
    assert len(waits) >= 3, sorted(run.failed)
    assert sum("at one look" in text for text in waits) == len(waits) - 1, waits
