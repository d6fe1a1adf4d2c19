"""Render BootstrapConfig into a shell script or cloud-init; every value lands quoted and inert."""

from __future__ import annotations

import shlex
from collections.abc import Sequence

from provider_core._errors import ErrorCode, ProviderError
from provider_core._types import BootstrapConfig, BootstrapFormat, BootstrapScript

SCRIPT_PATH = "/var/lib/provider-core/bootstrap.sh"
CONFIG_DIR = "/etc/provider-core"


def render_bootstrap(
    config: BootstrapConfig, *, provider: str, supported: Sequence[BootstrapFormat]
) -> BootstrapScript:
    """Render config in its requested format, or the provider's preferred one when it names none."""
    wanted = config.format or supported[0]
    if wanted not in supported:
        raise ProviderError(
            ErrorCode.INVALID_SPEC,
            f"bootstrap format '{wanted}' is not supported; use one of {', '.join(supported)}",
            provider=provider,
        )
    shell = render_shell(config)
    if wanted is BootstrapFormat.SHELL:
        return BootstrapScript(shell, BootstrapFormat.SHELL)
    return BootstrapScript(render_cloud_init(config, shell), BootstrapFormat.CLOUD_INIT)


def _env_file(config: BootstrapConfig) -> str:
    values = {
        "PROVIDER_CORE_CONTROL_PLANE_URL": config.control_plane_url,
        "PROVIDER_CORE_INSTANCE_TOKEN": config.instance_token,
        "PROVIDER_CORE_AGENT_VERSION": config.agent_version,
        **config.env,
    }
    return "".join(f"{key}={shlex.quote(value)}\n" for key, value in values.items())


def render_shell(config: BootstrapConfig) -> str:
    """A bash script; PROVIDER_CORE_ROOT (unset on a real machine) prefixes every path it writes."""
    q = shlex.quote
    lines = [
        "#!/usr/bin/env bash",
        "# provider-core bootstrap: joins this machine to the control plane.",
        "set -euo pipefail",
        "umask 077",
        'root="${PROVIDER_CORE_ROOT:-}"',
        f'conf="$root"{q(CONFIG_DIR)}',
        'mkdir -p "$conf" "$root/usr/local/bin"',
        f'printf %s {q(_env_file(config))} > "$conf/agent.env"',
        # curl reads the header from a file so the token never shows in the process list.
        f'printf "Authorization: Bearer %s\\n" {q(config.instance_token)} > "$conf/auth-header"',
    ]
    if config.hostname:
        lines.append(f"hostnamectl set-hostname {q(config.hostname)}")
    if config.tailscale_auth_key:
        lines += [
            f'printf %s {q(config.tailscale_auth_key)} > "$conf/tailscale.key"',
            "command -v tailscale >/dev/null 2>&1 || curl -fsSL https://tailscale.com/install.sh | sh",
            'tailscale up --auth-key="file:$conf/tailscale.key"',
        ]
    agent_url = f"{config.control_plane_url.rstrip('/')}/agent/{config.agent_version}/provider-core-agent"
    lines += [
        'agent="$root/usr/local/bin/provider-core-agent"',
        f'curl -fsSL --retry 5 -H "@$conf/auth-header" -o "$agent" {q(agent_url)}"-linux-$(uname -m)"',
        'chmod 0755 "$agent"',
        '"$agent" install --env-file "$conf/agent.env"',
    ]
    return "\n".join(lines) + "\n"


_SHORT_ESCAPES = {"\n": "\\n", "\t": "\\t", "\r": "\\r"}


def yaml_quote(value: str) -> str:
    """A YAML double-quoted scalar that escapes everything outside printable ASCII."""
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch in _SHORT_ESCAPES:
            out.append(_SHORT_ESCAPES[ch])
        elif 0x20 <= code < 0x7F:
            out.append(ch)
        elif code <= 0xFF:
            out.append(f"\\x{code:02x}")
        elif code <= 0xFFFF:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    return '"' + "".join(out) + '"'


def render_cloud_init(config: BootstrapConfig, shell: str) -> str:
    lines = ["#cloud-config"]
    if config.hostname:
        lines.append(f"hostname: {yaml_quote(config.hostname)}")
    lines += [
        "write_files:",
        f"  - path: {yaml_quote(SCRIPT_PATH)}",
        '    permissions: "0700"',
        '    owner: "root:root"',
        f"    content: {yaml_quote(shell)}",
        "runcmd:",
        f"  - [{yaml_quote('/bin/bash')}, {yaml_quote(SCRIPT_PATH)}]",
    ]
    return "\n".join(lines) + "\n"
