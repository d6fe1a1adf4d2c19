"""`providers bootstrap`: render a provider's bootstrap script without ever printing the token."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import attrs
import click

from provider_core import BootstrapConfig, BootstrapFormat
from provider_core.cli._common import (
    CliFailure,
    ExitCode,
    json_option,
    open_handle,
    parse_pairs,
    set_option,
)
from provider_core.cli._output import Output

# Shown in place of the real token; the checksum printed is always the real script's.
TOKEN_PLACEHOLDER = "REDACTED-INSTANCE-TOKEN"


def _token(out: Output, token_env: str) -> str:
    token = os.environ.get(token_env)
    if not token:
        if not sys.stdin.isatty():
            raise click.UsageError(f"no instance token: set ${token_env} (or run in a terminal to be asked)")
        token = click.prompt("Instance token", hide_input=True, err=True)
    out.secret(token)
    return token


def _write_private(path: Path, content: str) -> None:
    """Leave path holding content with mode 0600, whatever file (and mode) was there before."""
    # O_CREAT's mode only applies to a new file, and chmod-ing an existing one leaves any reader that
    # opened it earlier able to read the token: a fresh 0600 file (mkstemp) replaces it instead.
    try:
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(content)
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise CliFailure(f"cannot write {path}: {exc.strerror or exc}") from exc


@click.command("bootstrap")
@click.argument("name")
@click.option(
    "--control-plane-url",
    envvar="PROVIDER_CORE_CONTROL_PLANE_URL",
    required=True,
    help="URL the agent joins (or $PROVIDER_CORE_CONTROL_PLANE_URL).",
)
@click.option(
    "--token-env",
    default="PROVIDER_CORE_INSTANCE_TOKEN",
    show_default=True,
    help="Environment variable holding the instance token; asked for (hidden) when unset.",
)
@click.option("--agent-version", default="latest", show_default=True)
@click.option("--hostname", help="Hostname to set on the instance.")
@click.option(
    "--env", "env_pairs", multiple=True, metavar="KEY=VALUE", help="Agent environment (repeatable)."
)
@click.option("--format", "fmt", type=click.Choice([f.value for f in BootstrapFormat]), help="Script format.")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the exact script (token included) to this file, mode 0600.",
)
@set_option
@json_option
@click.pass_obj
def bootstrap_command(
    out: Output,
    name: str,
    control_plane_url: str,
    token_env: str,
    agent_version: str,
    hostname: str | None,
    env_pairs: tuple[str, ...],
    fmt: str | None,
    output: Path | None,
    settings: tuple[str, ...],
    as_json: bool,
) -> int:
    """Print NAME's bootstrap script (token shown as a placeholder) and its SHA-256 checksum."""
    token = _token(out, token_env)
    try:
        config = BootstrapConfig(
            control_plane_url=control_plane_url,
            instance_token=token,
            agent_version=agent_version,
            env=parse_pairs(env_pairs, "--env"),
            hostname=hostname,
            format=fmt,
        )
    except (ValueError, TypeError) as exc:
        raise click.UsageError(f"invalid bootstrap options: {exc}") from exc
    with open_handle(out, name, settings) as handle:
        script = handle.generate_bootstrap(config)
        # A second rendering with a placeholder token is what gets shown: exact, and secret-free.
        shown = handle.generate_bootstrap(attrs.evolve(config, instance_token=TOKEN_PLACEHOLDER))
    if output is not None:
        _write_private(output, script.content)
    if as_json:
        out.json(
            {
                "provider": name,
                "format": script.format.value,
                "checksum": script.checksum,
                "content": None if output else shown.content,
                "token_placeholder": TOKEN_PLACEHOLDER,
                "output": str(output) if output else None,
            }
        )
        return ExitCode.OK
    if output is None:
        out.stdout.write(shown.content)
        out.note(f"(the token is shown as {TOKEN_PLACEHOLDER}; use --output FILE for the real script)")
    else:
        out.note(f"wrote {output} (mode 0600)")
    out.print(f"format: {script.format.value}")
    out.print(f"sha256: {script.checksum}")
    return ExitCode.OK
