"""The controller's error texts to the taxonomy, through the provider and stand-in Slurm commands.

QOS and association limits need accounting (slurmdbd), which the real test double does not run, so
they are tested here with the exact text sbatch prints; so are refusals and an unreachable controller.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from provider_core import ErrorCode, ProviderError, ProviderHandle, ProviderRegistry, SpawnOptions
from provider_slurm import registration

FakeSlurm = Callable[..., ProviderHandle]


@pytest.fixture
def fake_slurm(tmp_path: Path) -> FakeSlurm:
    """fake_slurm(sbatch_script_body, **settings): a handle whose sbatch is the given shell script."""
    registry = ProviderRegistry()
    registry.add(registration)

    def make(body: str, **settings: object) -> ProviderHandle:
        sbatch = tmp_path / "sbatch"
        sbatch.write_text(f"#!/bin/sh\n{body}\n")
        sbatch.chmod(0o755)
        (tmp_path / "squeue").write_text("#!/bin/sh\necho '{\"jobs\": []}'\n")
        (tmp_path / "squeue").chmod(0o755)
        return registry.get("slurm", bin_dir=str(tmp_path), **settings)

    return make


@pytest.mark.parametrize(
    ("stderr", "code"),
    [
        (
            "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy "
            "(job submit limit, user's size and/or time limits)",
            ErrorCode.QUOTA_EXCEEDED,
        ),
        ("sbatch: error: QOSMaxSubmitJobPerUserLimit", ErrorCode.QUOTA_EXCEEDED),
        ("sbatch: error: AssocMaxSubmitJobLimit", ErrorCode.QUOTA_EXCEEDED),
        ("sbatch: error: Batch job submission failed: Access/permission denied", ErrorCode.AUTH_ERROR),
        (
            "sbatch: error: Batch job submission failed: Invalid account or account/partition combination "
            "specified",
            ErrorCode.AUTH_ERROR,
        ),
        (
            "sbatch: error: Batch job submission failed: "
            "Unable to contact slurm controller (connect failure)",
            ErrorCode.UNAVAILABLE,
        ),
        (
            "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation",
            ErrorCode.UNAVAILABLE,
        ),
        (
            "sbatch: error: Batch job submission failed: Invalid partition name specified",
            ErrorCode.INVALID_SPEC,
        ),
        ("sbatch: error: something new", ErrorCode.INTERNAL),
    ],
)
def test_sbatch_errors_map_by_the_controllers_text(
    fake_slurm: FakeSlurm, stderr: str, code: ErrorCode
) -> None:
    handle = fake_slurm(f'echo "{stderr}" >&2; exit 1')
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="x", instance_type="debug"))
    assert caught.value.code is code
    assert stderr.split(": ")[-1] in caught.value.message


def test_a_controller_that_does_not_answer_is_unavailable(fake_slurm: FakeSlurm) -> None:
    handle = fake_slurm("sleep 5", command_timeout=0.3)
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="x", instance_type="debug"))
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "no answer within 0.3s" in caught.value.message


def test_missing_commands_are_unavailable_with_what_to_do(tmp_path: Path) -> None:
    registry = ProviderRegistry()
    registry.add(registration)
    handle = registry.get("slurm", bin_dir=str(tmp_path))
    with pytest.raises(ProviderError) as caught:
        handle.list_instances()
    assert caught.value.code is ErrorCode.UNAVAILABLE
    assert "squeue is not installed" in caught.value.message


def test_a_job_id_sbatch_did_not_print_is_unavailable(fake_slurm: FakeSlurm) -> None:
    handle = fake_slurm("echo 'Submitted nothing'")
    with pytest.raises(ProviderError) as caught:
        handle.spawn(SpawnOptions(name="x", instance_type="debug"))
    assert caught.value.code is ErrorCode.UNAVAILABLE


def test_the_job_carries_tags_shape_and_no_caller_environment(fake_slurm: FakeSlurm, tmp_path: Path) -> None:
    handle = fake_slurm(f'printf "%s\\n" "$@" > {tmp_path}/args; cat > {tmp_path}/script; echo "42;pctest"')
    vm = handle.spawn(
        SpawnOptions(
            name="n1", instance_type="gpu:cpu2-mem1g-a100x2", tags={"team": "ml"}, idempotency_key="k1"
        )
    )
    assert vm.id == "42"
    args = (tmp_path / "args").read_text().splitlines()
    assert args[:2] == ["--parsable", "--job-name=n1"]
    comment = next(a for a in args if a.startswith("--comment="))
    assert '"type":"gpu:cpu2-mem1g-a100x2"' in comment
    assert '"provider-core:idempotency-key":"k1"' in comment
    for expected in (
        "--partition=gpu",
        "--cpus-per-task=2",
        "--mem=1024M",
        "--gres=gpu:a100:2",
        "--export=NONE",
    ):
        assert expected in args
    assert "exec sleep infinity" in (tmp_path / "script").read_text()
