"""`providers list` and `providers info`: what is installed, read without building any provider."""

from __future__ import annotations

import inspect
import os
from typing import Any

import click

from provider_core import ProviderError, discover, installed
from provider_core._claims import PIN_ENV
from provider_core._index import summary
from provider_core.author import ProviderRegistration, as_provider_error
from provider_core.cli._common import (
    ExitCode,
    json_option,
    lookup,
    offers_catalog,
    open_handle,
    parse_pairs,
    provider_settings,
    set_option,
)
from provider_core.cli._output import REDACTED, Output, table


@click.command("list")
@json_option
@click.pass_obj
def list_command(out: Output, as_json: bool) -> int:
    """Every installed provider: version, tier, capability flags, and broken ones with the reason."""
    # From the registration index when it is current: no provider is imported (see core/README.md).
    inventory = installed()
    if as_json:
        out.stdout.write(out.redactor.text(inventory.listing_json()))
        out.stdout.flush()
        return ExitCode.OK
    summaries = inventory.listing()["providers"]
    if summaries:
        out.print(
            table(
                ("provider", "version", "tier", "distribution"),
                [(s["name"], s["version"], s["tier"], s["distribution"]) for s in summaries],
            )
        )
        # Flags as rows keep the matrix readable in 80 columns with any number of providers.
        names = [s["name"] for s in summaries]
        flags = list(summaries[0]["capabilities"])
        rows = [(flag, *("yes" if s["capabilities"][flag] else "-" for s in summaries)) for flag in flags]
        out.print(table(("capability", *names), rows))
    else:
        out.print("No providers are installed.")
    for name, claim in inventory.conflicts.items():
        pinned = claim["pinned"]
        state = f"pinned to {pinned}" if pinned else f"unusable until pinned ({PIN_ENV}={name}=DISTRIBUTION)"
        out.out.print(
            f"name {name} is published by {' and '.join(claim['distributions'])}: {state}",
            style=None if pinned else "red",
            soft_wrap=True,
        )
    for name, reason in inventory.broken.items():
        out.out.print(f"broken provider {name}: {reason}", style="red", soft_wrap=True)
    for name, reason in inventory.broken_plugins.items():
        out.out.print(f"broken plugin {name}: {reason}", style="red", soft_wrap=True)
    return ExitCode.OK


def _first_line(obj: object) -> str:
    doc = inspect.getdoc(obj) or ""
    return doc.splitlines()[0] if doc else ""


def _setting_rows(registration: ProviderRegistration, given: dict[str, str]) -> list[dict[str, Any]]:
    rows = []
    for setting in registration.declared_settings():
        if setting.name in given:
            source, value = "--set", given[setting.name]
        elif setting.env and os.environ.get(setting.env):
            source, value = f"env {setting.env}", os.environ[setting.env]
        else:
            source, value = "unset", None
        if setting.secret and value is not None:
            value = REDACTED
        rows.append(
            {
                "name": setting.name,
                "env": setting.env,
                "secret": setting.secret,
                "description": setting.description,
                "source": source,
                "value": value,
            }
        )
    return rows


def _details(registration: ProviderRegistration, source: str, given: dict[str, str]) -> dict[str, Any]:
    profile = registration.compliance
    formats = getattr(registration.provider_factory(), "bootstrap_formats", None)
    return {
        **summary(registration, source),
        "workflows": {name: _first_line(registration.workflow(name)) for name in registration.workflows},
        "contracts": [
            c if isinstance(c, str) else f"{c.__module__}.{c.__qualname__}" for c in registration.contracts
        ],
        "settings": _setting_rows(registration, given),
        "bootstrap_formats": [str(f) for f in formats] if formats is not None else None,
        "compliance": None
        if profile is None
        else {
            "instance_type": profile.instance_type,
            "region": profile.region,
            "alt_region": profile.alt_region,
            "image": profile.image,
            "test_double": profile.test_double is not None,
        },
    }


def _catalog(out: Output, registration: ProviderRegistration, settings: tuple[str, ...]) -> dict[str, Any]:
    """What Provider.offerings tells (the provider is built for it), or why it is not available."""
    if not offers_catalog(registration):
        return {"available": False, "reason": f"{registration.name} does not list a catalog"}
    try:
        with open_handle(out, registration.name, settings) as handle:
            catalog = handle.provider.offerings()
    except ProviderError as exc:
        return {"available": False, "reason": str(exc)}
    except Exception as exc:  # informational: a provider's bug here must not hide the rest of info
        return {"available": False, "reason": str(as_provider_error(exc, registration.name))}
    if catalog is None:
        return {"available": False, "reason": f"{registration.name} cannot tell with these settings"}
    return {
        "available": True,
        "instance_types": list(catalog.instance_types),
        "regions": list(catalog.regions),
        "details": dict(catalog.details),
    }


def _show_catalog(out: Output, catalog: dict[str, Any]) -> None:
    if not catalog["available"]:
        out.print(f"instance types and regions: not available ({catalog['reason']})")
        return
    out.print(f"instance types: {', '.join(catalog['instance_types']) or 'none'}")
    out.print(f"regions: {', '.join(catalog['regions']) or 'none'}")
    for key, value in catalog["details"].items():
        out.print(f"{key}: {value}")


@click.command("info")
@click.argument("name")
@set_option
@json_option
@click.pass_obj
def info_command(out: Output, name: str, settings: tuple[str, ...], as_json: bool) -> int:
    """Capabilities, workflows, contracts and the settings and environment variables NAME reads."""
    registry = discover()
    registration = lookup(registry, name)
    given = provider_settings(out, registration, parse_pairs(settings, "--set"))
    details = _details(registration, registry.source(name), given)
    details["catalog"] = _catalog(out, registration, settings)
    if as_json:
        out.json(details)
        return ExitCode.OK
    out.print(f"{name} {details['version'] or ''} ({details['tier']} tier) from {details['distribution']}")
    if details["description"]:
        out.print(details["description"])
    enabled = [flag for flag, on in details["capabilities"].items() if on]
    out.print(f"capabilities: {', '.join(enabled) or 'none'}")
    off = [flag for flag, on in details["capabilities"].items() if not on]
    out.print(f"not supported: {', '.join(off) or 'none'}")
    if details["bootstrap_formats"]:
        out.print(f"bootstrap formats: {', '.join(details['bootstrap_formats'])}")
    elif details["bootstrap_formats"] is not None:
        out.print("bootstrap formats: not declared (one format of its choosing; none can be asked for)")
    _show_catalog(out, details["catalog"])
    if details["settings"]:
        rows = [
            (s["name"], s["env"], "yes" if s["secret"] else "-", s["source"], s["value"], s["description"])
            for s in details["settings"]
        ]
        out.print(table(("setting", "env var", "secret", "source", "value", "description"), rows))
    else:
        out.print("settings: none declared")
    if details["workflows"]:
        out.print(table(("workflow", "description"), details["workflows"].items()))
    if details["contracts"]:
        out.print(f"contract tests: {', '.join(details['contracts'])}")
    profile = details["compliance"]
    if profile:
        double = "yes" if profile["test_double"] else "no"
        out.print(
            f"compliance: instance type {profile['instance_type']}, region {profile['region'] or '-'}, "
            f"local test double: {double}"
        )
    return ExitCode.OK
