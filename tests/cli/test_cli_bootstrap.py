"""`providers bootstrap`: the script and its checksum, and the token never printed."""

from __future__ import annotations

import hashlib
import stat
from pathlib import Path

import pytest

from tests.cli.conftest import Cli

URL = "https://cp.example.com"
# Quotes, a backslash and non-ASCII: escaped differently in shell and YAML, so redaction by search fails.
AWKWARD_TOKEN = "tok'en\"with\\odd-ü-chars-9d2f"


@pytest.mark.parametrize("fmt", ["cloud-init", "shell"])
def test_written_script_carries_the_token_and_the_printed_checksum(
    cli: Cli, tmp_path: Path, fmt: str
) -> None:
    target = tmp_path / "boot.sh"
    run = cli(
        "bootstrap", "memory", "--control-plane-url", URL, "--format", fmt, "--output", str(target), "--json",
        env={"PROVIDER_CORE_INSTANCE_TOKEN": AWKWARD_TOKEN},
    )  # fmt: skip
    assert run.code == 0, run.output
    data = run.json()
    content = target.read_text()
    assert data["checksum"] == hashlib.sha256(content.encode()).hexdigest()
    assert data["format"] == fmt
    assert data["content"] is None
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "ü" in content or "\\xfc" in content  # the token is really in there, in some quoting
    assert "odd-" in content


def test_printed_script_shows_a_placeholder_never_the_token(cli: Cli, tmp_path: Path) -> None:
    env = {"PROVIDER_CORE_INSTANCE_TOKEN": AWKWARD_TOKEN}
    shown = cli("bootstrap", "memory", "--control-plane-url", URL, "--format", "shell", env=env)
    assert shown.code == 0, shown.output
    assert "REDACTED-INSTANCE-TOKEN" in shown.stdout
    assert "odd-" not in shown.output
    target = tmp_path / "real.sh"
    written = cli(
        "bootstrap", "memory", "--control-plane-url", URL, "--format", "shell", "-o", str(target), env=env
    )
    assert written.code == 0, written.output
    checksum = hashlib.sha256(target.read_text().encode()).hexdigest()
    assert f"sha256: {checksum}" in shown.stdout  # the checksum shown is the real script's


def test_missing_token_without_a_terminal_is_a_usage_error(cli: Cli) -> None:
    run = cli("bootstrap", "memory", "--control-plane-url", URL)
    assert run.code == 2
    assert "no instance token: set $PROVIDER_CORE_INSTANCE_TOKEN" in run.stderr


def test_an_existing_readable_file_is_replaced_by_a_private_one(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "boot.sh"
    target.write_text("old script\n")
    target.chmod(0o644)
    with target.open() as earlier_reader:  # opened while the file was world-readable
        run = cli(
            "bootstrap", "memory", "--control-plane-url", URL, "--format", "shell", "-o", str(target),
            env={"PROVIDER_CORE_INSTANCE_TOKEN": AWKWARD_TOKEN},
        )  # fmt: skip
        assert run.code == 0, run.output
        assert earlier_reader.read() == "old script\n"  # it never sees the token
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert "odd-" in target.read_text()
    assert f"wrote {target} (mode 0600)" in run.stderr
    assert [p.name for p in tmp_path.iterdir()] == ["boot.sh"]  # no temporary file left behind


def test_an_unwritable_output_is_one_line_without_the_token(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "missing-folder" / "boot.sh"
    run = cli(
        "bootstrap", "memory", "--control-plane-url", URL, "-o", str(target),
        env={"PROVIDER_CORE_INSTANCE_TOKEN": AWKWARD_TOKEN},
    )  # fmt: skip
    assert run.code == 1
    assert run.stderr.strip() == f"providers: error: cannot write {target}: No such file or directory"
    assert "odd-" not in run.output
