"""`providers spawn`, and what a Ctrl-C during it leaves: the instance it made is terminated, or named."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import click

from provider_core import (
    BootstrapFormat,
    BootstrapScript,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    SpawnOptions,
    wait_for,
)
from provider_core._wait import poll
from provider_core.author import GONE_STATUSES
from provider_core.cli._common import (
    NON_EMPTY,
    CliFailure,
    ExitCode,
    error_line,
    json_option,
    open_handle,
    parse_pairs,
    set_option,
)
from provider_core.cli._instances import show_instance, terminate_all
from provider_core.cli._interrupt import CleanupCut, bounded, command_text
from provider_core.cli._output import Output

# After a Ctrl-C during the spawn call, how long to look for what it may have created: a cloud's listing
# can lag behind a creation by a moment.
LOOKUP_TIMEOUT = 3.0


def read_bootstrap(path: Path) -> BootstrapScript:
    content = path.read_text(encoding="utf-8")
    fmt = BootstrapFormat.CLOUD_INIT if content.startswith("#cloud-config") else BootstrapFormat.SHELL
    return BootstrapScript(content, fmt)


@click.command("spawn")
@click.argument("name")
@click.option("--type", "instance_type", required=True, help="Instance type, e.g. t3.micro.")
@click.option("--region", type=NON_EMPTY, help="Region (providers with multi_region).")
@click.option("--image", help="Image or AMI.")
@click.option("--spot", is_flag=True, help="Ask for a spot instance (providers with spot).")
@click.option("--max-price", type=float, help="Highest hourly price for --spot.")
@click.option("--name", "instance_name", help="Instance name (default: providers-<random>).")
@click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag (repeatable).")
@click.option(
    "--bootstrap-file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Script to run at first boot (cloud-init when it starts with #cloud-config, else shell).",
)
@click.option("--idempotency-key", help="Same key, same instance (providers with idempotent_spawn).")
@click.option("--wait", is_flag=True, help="Wait until the instance runs (or fails), showing progress.")
@click.option(
    "--timeout",
    default=600.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Seconds --wait waits before giving up (exit 3, UNAVAILABLE).",
)
@set_option
@json_option
@click.pass_obj
def spawn_command(
    out: Output,
    name: str,
    instance_type: str,
    region: str | None,
    image: str | None,
    spot: bool,
    max_price: float | None,
    instance_name: str | None,
    tags: tuple[str, ...],
    bootstrap_file: Path | None,
    idempotency_key: str | None,
    wait: bool,
    timeout: float,
    settings: tuple[str, ...],
    as_json: bool,
) -> int:
    """Create an instance at provider NAME; with --wait, exits 1 when it ends anything but running.

    Ctrl-C (exit 130) terminates the instance this command created, during --wait or before the spawn call
    answered, when the command can prove it created it. Before the answer, the instance is looked up by
    name: only the generated providers-<random> name is proof, as a name given with --name may belong to an
    older instance. With --idempotency-key, spawn may answer with an older instance: only one with the
    generated name is proof. An instance without proof is left, and the command to remove it is printed;
    so are the instance and the command when the terminate fails, or a second Ctrl-C or 10 s end it.
    """
    try:
        options = SpawnOptions(
            name=instance_name or f"providers-{secrets.token_hex(4)}",
            instance_type=instance_type,
            region=region,
            image=image,
            spot=spot,
            max_price_per_hour=max_price,
            bootstrap=read_bootstrap(bootstrap_file) if bootstrap_file else None,
            tags=parse_pairs(tags, "--tag"),
            idempotency_key=idempotency_key,
        )
    except (ValueError, TypeError) as exc:
        raise click.UsageError(f"invalid spawn options: {exc}") from exc
    with open_handle(out, name, settings) as handle:
        instance: ProviderInstance | None = None
        try:
            instance = handle.spawn(options)
            if wait and instance is not None and instance.status is not InstanceStatus.RUNNING:
                instance = wait_running(out, handle, instance.id, timeout)
        except KeyboardInterrupt:
            clean_up(out, handle, parse_pairs(settings, "--set"), options, instance, instance_name is None)
            raise
    if instance is None:
        raise CliFailure(f"instance of {name} disappeared while starting")
    show_instance(out, instance, as_json)
    if wait and instance.status is not InstanceStatus.RUNNING:
        reason = f": {instance.status_reason}" if instance.status_reason else ""
        out.error(f"instance {instance.id} ended {instance.status.value}, not running{reason}")
        return ExitCode.FAILURE
    return ExitCode.OK


def wait_running(
    out: Output, handle: ProviderHandle, instance_id: str, timeout: float
) -> ProviderInstance | None:
    """provider_core.wait_for with a progress line per status change on stderr."""
    started = time.monotonic()

    def progress(seen: ProviderInstance | None) -> None:
        status = seen.status.value if seen is not None else "gone"
        out.note(f"{instance_id}: {status} after {time.monotonic() - started:.0f}s")

    return wait_for(handle, instance_id, timeout=timeout, on_change=progress)


def named(handle: ProviderHandle, name: str) -> list[str]:
    """Ids of the live instances called exactly name, looked for until one shows or LOOKUP_TIMEOUT."""

    def look() -> list[str]:
        listed = handle.list_instances(ListFilter(name_prefix=name))
        return [i.id for i in listed if i.name == name and i.status not in GONE_STATUSES]

    return poll(look, bool, LOOKUP_TIMEOUT, first_delay=0.25, max_delay=0.5)[1]


def clean_up(
    out: Output,
    handle: ProviderHandle,
    pairs: Mapping[str, str],
    options: SpawnOptions,
    instance: ProviderInstance | None,
    generated: bool,
) -> None:
    """After Ctrl-C: terminate the instance this command can prove it created; name any other."""
    provider = handle.name
    if instance is None and generated:
        terminate_named(out, handle, pairs, options.name)
    elif instance is None:
        look = command_text(out, ["ls", provider, "--name-prefix", options.name], pairs)
        out.warn(
            f"interrupted before {provider} answered: an instance named {options.name} may exist. The name "
            "was given with --name, so an older instance may have it too: none is terminated. Look with "
            f"{look} and remove yours with `providers terminate {provider} ID`"
        )
    elif options.idempotency_key is None or (generated and instance.name == options.name):
        terminate_spawned(out, handle, pairs, instance.id)
    else:
        terminate = command_text(out, ["terminate", provider, instance.id], pairs)
        out.warn(
            f"interrupted: {instance.id} is left, since its --idempotency-key may have been answered with an "
            f"instance older than this command; remove it with {terminate}"
        )


def terminate_spawned(
    out: Output, handle: ProviderHandle, pairs: Mapping[str, str], instance_id: str
) -> None:
    out.warn(f"interrupted: terminating {instance_id}, which this command spawned")
    terminate = command_text(out, ["terminate", handle.name, instance_id], pairs)
    _clean_up(out, handle, pairs, lambda: [instance_id], (instance_id, terminate))


def terminate_named(out: Output, handle: ProviderHandle, pairs: Mapping[str, str], name: str) -> None:
    """A spawn call cut short may have created an instance: it is found by the name this command made up."""
    out.warn(f"interrupted before {handle.name} answered: looking for an instance named {name} to terminate")
    sweep = command_text(out, ["sweep", handle.name, "--name-prefix", name, "--yes"], pairs)
    _clean_up(out, handle, pairs, lambda: named(handle, name), (f"an instance named {name}", sweep))


def _clean_up(
    out: Output,
    handle: ProviderHandle,
    pairs: Mapping[str, str],
    find: Callable[[], list[str]],
    unfound: tuple[str, str],
) -> None:
    """Terminate what find() returns, within CLEANUP_TIMEOUT; say what was terminated, or what is left and
    the command that removes it (unfound: what may be left and that command, for while no id is known)."""
    provider = handle.name
    ids: list[str] = []

    def terminate() -> tuple[list[str], list[str], list[ProviderError]]:
        ids.extend(find())
        return terminate_all(handle, ids)

    def left(these: list[str]) -> str:
        if not these:
            return f"{unfound[0]} may be left at {provider}; remove it with {unfound[1]}"
        command = command_text(out, ["terminate", provider, *these], pairs)
        return f"left at {provider}: {', '.join(these)}; remove with {command}"

    try:
        done, gone, failed = bounded(terminate)
    except ProviderError as exc:
        error_line(out, exc)
        out.warn(left(ids))
        return
    except CleanupCut as exc:
        out.warn(f"{exc}; {left(list(ids))}")
        raise
    for instance_id in done:
        out.note(f"terminated {instance_id}")
    for instance_id in gone:
        out.note(f"{instance_id} is already gone")
    for error in failed:
        error_line(out, error)
    remaining = [i for i in ids if i not in done and i not in gone]
    if remaining:
        out.warn(left(remaining))
    elif not ids:
        out.warn(f"{unfound[0]} did not show up; if it does, remove it with {unfound[1]}")
