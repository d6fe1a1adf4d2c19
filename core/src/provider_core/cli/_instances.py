"""Instance commands: ls, get, terminate and sweep (spawn is in _spawn.py)."""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

import click
from rich.table import Table

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderError,
    ProviderHandle,
    ProviderInstance,
    SweepError,
    resource_candidates,
    sweep,
    sweep_candidates,
    to_jsonable,
)
from provider_core.cli._common import (
    NON_EMPTY,
    ExitCode,
    error_line,
    json_option,
    open_handle,
    parse_pairs,
    set_option,
)
from provider_core.cli._output import Output, table

F = TypeVar("F", bound=Callable[..., Any])

# Most important first: in a narrow terminal `ls` drops columns from the end (get shows every field).
COLUMNS = ("id", "status", "name", "type", "region", "created", "ip", "spot")
OPTIONAL = ("type", "region", "created", "ip", "spot")


def created_text(created: datetime | None) -> str | None:
    """In UTC, with the zone named; a provider's naive timestamp is taken as UTC."""
    if created is None:
        return None
    aware = created if created.tzinfo is not None else created.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def instance_row(instance: ProviderInstance) -> tuple[object, ...]:
    return (
        instance.id,
        instance.status.value,
        instance.name,
        instance.instance_type,
        instance.region,
        created_text(instance.created_at),
        instance.public_ip or instance.private_ip,
        "yes" if instance.spot else "-",
    )


def instance_table(out: Output, instances: Sequence[ProviderInstance]) -> Table:
    return table(COLUMNS, [instance_row(i) for i in instances], optional=OPTIONAL, width=out.out.width)


def show_instances(out: Output, instances: Sequence[ProviderInstance], as_json: bool) -> None:
    if as_json:
        out.json([to_jsonable(i) for i in instances])
    elif instances:
        out.print(instance_table(out, instances))
    else:
        out.print("No instances.")


def show_instance(out: Output, instance: ProviderInstance, as_json: bool) -> None:
    """One instance as field/value rows, which fit any terminal, or as a JSON object."""
    if as_json:
        out.json(to_jsonable(instance))
        return
    fields = (
        ("id", instance.id),
        ("name", instance.name),
        ("status", instance.status.value),
        ("status reason", instance.status_reason),
        ("type", instance.instance_type),
        ("region", instance.region),
        ("public ip", instance.public_ip),
        ("private ip", instance.private_ip),
        ("spot", "yes (interrupted)" if instance.spot_interrupted else "yes" if instance.spot else "no"),
        ("created", created_text(instance.created_at)),
        *((f"tag {key}", value) for key, value in sorted(instance.tags.items())),
    )
    out.print(table(("field", "value"), [f for f in fields if f[1] is not None], whole=()))


def filter_options(fn: F) -> F:
    statuses = click.Choice([s.value for s in InstanceStatus])
    for option in reversed(
        [
            click.option("--status", "statuses", multiple=True, type=statuses, help="Status (repeatable)."),
            click.option("--region", type=NON_EMPTY, help="Only this region."),
            click.option("--tag", "tags", multiple=True, metavar="KEY=VALUE", help="Tag (repeatable)."),
            click.option("--name-prefix", help="Only names starting with this."),
        ]
    ):
        fn = option(fn)
    return fn


def build_filter(
    statuses: Sequence[str], region: str | None, tags: Sequence[str], name_prefix: str | None
) -> ListFilter:
    pairs = parse_pairs(tags, "--tag")
    try:
        return ListFilter(statuses=statuses or None, region=region, tags=pairs, name_prefix=name_prefix)
    except (ValueError, TypeError) as exc:
        raise click.UsageError(f"invalid filter: {exc}") from exc


@click.command("ls")
@click.argument("name")
@filter_options
@set_option
@json_option
@click.pass_obj
def ls_command(
    out: Output,
    name: str,
    statuses: tuple[str, ...],
    region: str | None,
    tags: tuple[str, ...],
    name_prefix: str | None,
    settings: tuple[str, ...],
    as_json: bool,
) -> int:
    """List the managed instances at provider NAME."""
    wanted = build_filter(statuses, region, tags, name_prefix)
    with open_handle(out, name, settings) as handle:
        instances = handle.list_instances(wanted)
    show_instances(out, instances, as_json)
    return ExitCode.OK


@click.command("get")
@click.argument("name")
@click.argument("instance_id", type=NON_EMPTY)
@set_option
@json_option
@click.pass_obj
def get_command(out: Output, name: str, instance_id: str, settings: tuple[str, ...], as_json: bool) -> int:
    """Show one instance; exits 3 (NOT_FOUND) when it does not exist."""
    with open_handle(out, name, settings) as handle:
        instance = handle.get_instance(instance_id)
    if instance is None:
        raise ProviderError(ErrorCode.NOT_FOUND, f"no instance '{instance_id}'", provider=name)
    show_instance(out, instance, as_json)
    return ExitCode.OK


def terminate_all(
    handle: ProviderHandle, ids: Sequence[str]
) -> tuple[list[str], list[str], list[ProviderError]]:
    """Terminate each id, carrying on past failures: (terminated, not found, failed).

    The core treats an unknown id as terminated (idempotent), so the id is looked up first to tell a
    user who mistyped it.
    """
    done: list[str] = []
    unknown: list[str] = []
    failed: list[ProviderError] = []
    for instance_id in ids:
        try:
            if handle.get_instance(instance_id) is None:
                unknown.append(instance_id)
                continue
            handle.terminate(instance_id)
            done.append(instance_id)
        except ProviderError as exc:
            failed.append(exc)
    return done, unknown, failed


def finish(out: Output, done: list[str], failed: list[ProviderError], as_json: bool, **extra: Any) -> int:
    if as_json:
        errors = [{"code": e.code.value, "message": e.message} for e in failed]
        out.json({"terminated": done, "failed": errors, **extra})
    else:
        for instance_id in done:
            out.print(f"terminated {instance_id}")
        for instance_id in extra.get("not_found", ()):
            out.print(f"not found {instance_id} (nothing to terminate)")
    return max((error_line(out, exc) for exc in failed), default=ExitCode.OK)


@click.command("terminate")
@click.argument("name")
@click.argument("instance_ids", nargs=-1, required=True, type=NON_EMPTY)
@set_option
@json_option
@click.pass_obj
def terminate_command(
    out: Output, name: str, instance_ids: tuple[str, ...], settings: tuple[str, ...], as_json: bool
) -> int:
    """Terminate instances by id; an id the provider does not know is reported "not found" (exit 0)."""
    with open_handle(out, name, settings) as handle:
        done, unknown, failed = terminate_all(handle, instance_ids)
    return finish(out, done, failed, as_json, not_found=unknown)


@click.command("sweep")
@click.argument("name")
@filter_options
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@set_option
@json_option
@click.pass_obj
def sweep_command(
    out: Output,
    name: str,
    statuses: tuple[str, ...],
    region: str | None,
    tags: tuple[str, ...],
    name_prefix: str | None,
    yes: bool,
    settings: tuple[str, ...],
    as_json: bool,
) -> int:
    """Terminate the live managed instances at NAME matching the filters, and delete the other managed
    resources (snapshots, open spot requests, spare volumes) they match, as listed when it starts."""
    wanted = build_filter(statuses, region, tags, name_prefix)
    with open_handle(out, name, settings) as handle:
        targets = sweep_candidates(handle, wanted)
        resources = resource_candidates(handle, wanted)
        if not targets and not resources:
            if as_json:
                out.json({"terminated": [], "failed": [], "remaining": []})
            else:
                out.print("Nothing to sweep.")
            return ExitCode.OK
        if not yes:
            if not sys.stdin.isatty():
                raise click.UsageError(
                    f"sweep would terminate {len(targets)} instance(s) and delete {len(resources)} other "
                    f"resource(s) at {name}; without a terminal to confirm on, pass --yes"
                )
            if targets:
                out.err.print(instance_table(out, targets))
            for resource in resources:
                out.err.print(f"{resource.kind} {resource.id}")
            click.confirm(
                f"Terminate these {len(targets)} instance(s) and delete {len(resources)} other resource(s) "
                f"at {name}?",
                abort=True,
                err=True,
            )
        # Only what was listed (and confirmed): anything that appeared since is never removed unseen.
        shown = {i.id for i in targets} | {r.id for r in resources}
        try:
            done, failed = sweep(handle, wanted, only=shown), []
        except SweepError as exc:
            done, failed = exc.terminated, list(exc.failures.values())
        alive = [i.id for i in sweep_candidates(handle, wanted)]
    remaining = [i for i in alive if i in shown]
    if not as_json:
        if remaining:
            out.warn(f"still alive after the sweep: {', '.join(remaining)}")
        unseen = [i for i in alive if i not in shown]
        if unseen:
            out.note(f"left alone, appeared after the listing: {', '.join(unseen)}")
    code = finish(out, done, failed, as_json, remaining=remaining)
    return code if code or not remaining else ExitCode.FAILURE
