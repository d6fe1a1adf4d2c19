"""Bootstrap rendering: values stay data, never code, in shell and in cloud-init."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import provider_core
import provider_core.author
from provider_core import BootstrapConfig, BootstrapFormat, ProviderError
from provider_core.author import render_cloud_init, render_shell, sha256_hex

HOSTILE = st.text(
    alphabet=st.sampled_from([*"$`'\"\\;|&<>(){}[]*?!#~%\n\t :-,.=/aZ09", "é", "✓", "\u2028", "\x7f", "𝄞"]),
    min_size=1,
    max_size=40,
)
# Secrets may not hold whitespace or control characters (BootstrapConfig refuses them); every other
# shell-special character must stay inert.
HOSTILE_TOKEN = HOSTILE.filter(lambda s: not any(c.isspace() or not c.isprintable() for c in s))
STUB = """#!/usr/bin/env bash
printf '%s\\n' "$(basename "$0") $*" >> "$STUB_LOG"
if [ "$(basename "$0")" = curl ]; then
  while [ $# -gt 0 ]; do
    if [ "$1" = -o ]; then cp "$0" "$2"; fi
    shift
  done
fi
"""


def _sandbox(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    for command in ("curl", "hostnamectl", "tailscale"):
        stub = bin_dir / command
        stub.write_text(STUB)
        stub.chmod(0o755)
    root = tmp_path / "root"
    root.mkdir(exist_ok=True)
    env = {
        "PATH": f"{bin_dir}:{os.environ['PATH']}",
        "PROVIDER_CORE_ROOT": str(root),
        "STUB_LOG": str(tmp_path / "calls.log"),
        "HOME": str(tmp_path),
    }
    return root, env


def _read_env_file(path: Path) -> dict[str, str]:
    """Source the rendered env file in a clean shell and read the values back exactly."""
    script = 'set -a; . "$1"; for k in $(compgen -e); do printf "%s\\0%s\\0" "$k" "${!k}"; done'
    out = subprocess.run(
        ["bash", "-c", script, "-", str(path)], capture_output=True, env={}, check=True
    ).stdout
    parts = out.decode().split("\0")[:-1]
    return dict(zip(parts[::2], parts[1::2], strict=True))


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(token=HOSTILE_TOKEN, value=HOSTILE, tailscale=HOSTILE_TOKEN)
def test_shell_bootstrap_keeps_hostile_values_inert(
    tmp_path: Path, token: str, value: str, tailscale: str
) -> None:
    token, tailscale = f"tok-{token}", f"tskey-{tailscale}"
    canary = tmp_path / "CANARY"
    value = value + f"$(touch {canary})`touch {canary}`;touch {canary}"
    config = BootstrapConfig(
        "https://cp.example/x?y=1",
        token,
        env={"PAYLOAD": value},
        tailscale_auth_key=tailscale,
        hostname="node-1",
    )
    root, env = _sandbox(tmp_path)
    log = Path(env["STUB_LOG"])
    log.unlink(missing_ok=True)
    script = tmp_path / "bootstrap.sh"
    script.write_text(render_shell(config))
    done = subprocess.run(["bash", str(script)], env=env, capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    assert not canary.exists(), "a value was executed"
    written = _read_env_file(root / "etc/provider-core/agent.env")
    assert written["PAYLOAD"] == value
    assert written["PROVIDER_CORE_INSTANCE_TOKEN"] == token
    assert (root / "etc/provider-core/auth-header").read_text() == f"Authorization: Bearer {token}\n"
    assert (root / "etc/provider-core/tailscale.key").read_text() == tailscale
    calls = log.read_text()
    assert token not in calls, "the token never reaches a command line"
    assert tailscale not in calls, "the tailscale key never reaches a command line"
    assert "hostnamectl set-hostname node-1" in calls
    assert f"provider-core-agent install --env-file {root}/etc/provider-core/agent.env" in calls


@settings(max_examples=60, deadline=None)
@given(token=HOSTILE_TOKEN, value=HOSTILE)
def test_cloud_init_parses_and_carries_the_exact_shell_script(token: str, value: str) -> None:
    config = BootstrapConfig("https://cp.example", token, env={"PAYLOAD": value, "OTHER": "x"}, hostname="n1")
    content = render_cloud_init(config, render_shell(config))
    assert content.startswith("#cloud-config\n")
    document = yaml.safe_load(content)
    assert set(document) == {"hostname", "write_files", "runcmd"}
    assert document["hostname"] == "n1"
    assert document["write_files"][0]["content"] == render_shell(config)
    assert document["runcmd"] == [["/bin/bash", "/var/lib/provider-core/bootstrap.sh"]]


def test_generated_scripts_carry_a_sha256_checksum_and_pass_bash_n(
    handle: provider_core.ProviderHandle,
) -> None:
    for fmt in BootstrapFormat:
        script = handle.generate_bootstrap(BootstrapConfig("https://cp.example", "tok", format=fmt))
        assert script.format is fmt
        assert script.checksum == sha256_hex(script.content)
        assert script.verify()
    shell = handle.generate_bootstrap(BootstrapConfig("https://cp.example", "tok", format="shell"))
    assert subprocess.run(["bash", "-n"], input=shell.content, text=True).returncode == 0


def test_unsupported_format_is_invalid_spec() -> None:
    with pytest.raises(ProviderError, match="bootstrap format 'shell' is not supported") as raised:
        provider_core.author.render_bootstrap(
            BootstrapConfig("https://cp.example", "t", format="shell"),
            provider="p",
            supported=(BootstrapFormat.CLOUD_INIT,),
        )
    assert raised.value.code == "INVALID_SPEC"


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"control_plane_url": "ftp://x"}, "control_plane_url must match"),
        ({"control_plane_url": "https://x/$(id)"}, "control_plane_url must match"),
        ({"env": {"BAD-KEY": "v"}}, "env keys must match"),
        ({"hostname": "bad host"}, "hostname must match"),
        ({"agent_version": "1.0; rm -rf /"}, "agent_version must match"),
        ({"instance_token": "a\x00b"}, "instance_token must be at most"),
    ],
)
def test_bootstrap_config_rejects_bad_values_by_field(fields: dict[str, object], message: str) -> None:
    base: dict[str, object] = {"control_plane_url": "https://cp.example", "instance_token": "t"}
    with pytest.raises(ValueError, match=message):
        BootstrapConfig(**{**base, **fields})  # type: ignore[arg-type]


def test_secrets_stay_out_of_reprs_and_validation_errors(handle: provider_core.ProviderHandle) -> None:
    config = BootstrapConfig("https://cp.example", "tok-SECRET-1", tailscale_auth_key="tskey-SECRET-2")
    script = provider_core.author.render_bootstrap(config, provider="p", supported=(BootstrapFormat.SHELL,))
    handle.spawn(provider_core.SpawnOptions(name="n", instance_type="mem.small", bootstrap=script))
    for text in (repr(config), str(config), repr(script), repr(handle.list_instances())):
        assert "SECRET" not in text
    with pytest.raises(
        ValueError, match=r"instance_token must be at most 4096 characters of text without NUL$"
    ) as bad:
        BootstrapConfig("https://cp.example", "tok-SECRET-3\x00")
    assert "SECRET" not in str(bad.value)
