"""What every command shares: exit codes, --set parsing, provider lookup and the one-line error."""

from __future__ import annotations

import difflib
import inspect
import os
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import IntEnum
from typing import Any, TypeVar

import click

from provider_core import (
    TAXONOMY,
    ErrorCategory,
    ErrorCode,
    ProviderError,
    ProviderHandle,
    ProviderRegistry,
    discover,
)
from provider_core.author import Provider, ProviderRegistration
from provider_core.cli._interrupt import CleanupCut
from provider_core.cli._output import Output

F = TypeVar("F", bound=Callable[..., Any])

# Where the pytest run of `providers check` writes its JSON summary (see _pytest_report.py).
REPORT_ENV = "PROVIDERS_CHECK_REPORT"
# For providers that declare no settings, a key named like this is still treated as a secret.
_SECRET_NAME = re.compile(r"key|token|secret|password|credential", re.IGNORECASE)


class ExitCode(IntEnum):
    OK = 0
    FAILURE = 1
    USAGE = 2
    PROVIDER_ERROR = 3
    AUTH = 4
    INTERRUPTED = 130  # 128 + SIGINT, as shells report it


class CliFailure(Exception):
    """A failure that is not a provider error: printed as one line, exits with its code."""

    def __init__(self, message: str, code: ExitCode = ExitCode.FAILURE) -> None:
        self.code = code
        super().__init__(message)


# What to do next, per category; the meaning and retryability come from the taxonomy itself.
_ACTIONS: dict[ErrorCategory, str] = {
    ErrorCategory.CAPACITY: "try another instance type or region, or retry later",
    ErrorCategory.AUTH: "check the credentials{where}",
    ErrorCategory.RATE_LIMIT: "wait, then retry",
    ErrorCategory.VALIDATION: "{validation}",
    ErrorCategory.NOT_FOUND: "check the id with `providers ls {provider}`",
    ErrorCategory.TRANSIENT: "the provider's endpoint is failing or unreachable; retry later",
    ErrorCategory.INTERNAL: "the provider did not classify this failure; report it to its maintainers",
}


def hint(error: ProviderError) -> str:
    entry = TAXONOMY[error.code]
    where = ""
    registration = discover().registrations().get(error.provider)
    if registration is not None and error.code is ErrorCode.AUTH_ERROR:
        names = [
            f"{s.env} or --set {s.name}=..." if s.env else f"--set {s.name}=..."
            for s in registration.declared_settings()
            if s.secret
        ]
        where = f" ({'; '.join(names)})" if names else ""
    if registration is not None and offers_catalog(registration):
        validation = f"check the options against the catalog in `providers info {error.provider}`"
    else:
        # Sending users to `info` only helps when it can list what the provider offers.
        validation = f"check the instance type, region and image in {error.provider}'s documentation"
    action = _ACTIONS[entry.category].format(where=where, provider=error.provider, validation=validation)
    retry = "retryable" if entry.retryable else "not retryable"
    return f"{entry.meaning} ({entry.category}, {retry}): {action}"


def offers_catalog(registration: ProviderRegistration) -> bool:
    """Whether the provider overrides Provider.offerings (imports its module, never builds it)."""
    try:
        factory = registration.provider_factory()
    except Exception:  # a provider that cannot even be imported offers nothing
        return False
    return (
        inspect.isclass(factory)
        and issubclass(factory, Provider)
        and factory.offerings is not Provider.offerings
    )


def exit_code_for(error: ProviderError) -> ExitCode:
    return ExitCode.AUTH if error.code is ErrorCode.AUTH_ERROR else ExitCode.PROVIDER_ERROR


def error_line(out: Output, error: ProviderError) -> ExitCode:
    """Print the one line a provider error gets (code, provider, message, hint); return its exit code."""
    out.error(f"{error} -- hint: {hint(error)}")
    return exit_code_for(error)


def error_document(error: ProviderError) -> dict[str, object]:
    return {
        "error": {
            "code": error.code.value,
            "provider": error.provider,
            "message": error.message,
            "category": error.category.value,
            "retryable": error.retryable,
            "retry_after": error.retry_after,
            "hint": hint(error),
        }
    }


# -- options shared by commands --------------------------------------------------------------------


def _enable_json(ctx: click.Context, _param: click.Parameter, value: bool) -> bool:
    out = ctx.find_object(Output)
    if value and out is not None:
        out.json_mode = True
    return value


def json_option(fn: F) -> F:
    return click.option(
        "--json",
        "as_json",
        is_flag=True,
        callback=_enable_json,
        is_eager=True,
        help="Print JSON for machines instead of tables.",
    )(fn)


class NonEmpty(click.types.StringParamType):
    """Text that must not be empty or blank: an empty id or region is a usage error, not a failure."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = super().convert(value, param, ctx)
        if not text.strip():
            self.fail("must not be empty", param, ctx)
        return text


NON_EMPTY = NonEmpty()


def set_option(fn: F) -> F:
    return click.option(
        "--set",
        "settings",
        multiple=True,
        metavar="KEY=VALUE",
        help="Provider setting (repeatable); see `providers info NAME` for the keys.",
    )(fn)


def parse_pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            # The text may be a mistyped secret, so it is not echoed.
            raise click.UsageError(f"{option} expects KEY=VALUE (an item without '=' was given)")
        pairs[key.strip()] = value
    return pairs


# -- providers -------------------------------------------------------------------------------------


def lookup(registry: ProviderRegistry, name: str) -> ProviderRegistration:
    # Working first: when two distributions publish one name, the loser is reported broken, and it
    # must not hide the registration that works.
    if name in registry.names():
        return registry.registration(name)
    broken = registry.broken()
    if name in broken:
        raise CliFailure(f"provider '{name}' is installed but broken: {broken[name]}")
    installed = ", ".join(registry.names()) or "none"
    close = difflib.get_close_matches(name, [*registry.names(), *broken], n=1)
    suggestion = f"did you mean '{close[0]}'? " if close else ""
    raise click.UsageError(f"unknown provider '{name}'; {suggestion}installed providers: {installed}")


def provider_settings(
    out: Output, registration: ProviderRegistration, pairs: dict[str, str]
) -> dict[str, str]:
    """Register the secret --set values (and secret environment values) so no output shows them."""
    declared = {s.name: s for s in registration.declared_settings()}
    for key, value in pairs.items():
        setting = declared.get(key)
        if setting.secret if setting is not None else _SECRET_NAME.search(key):
            out.secret(value)
    # A provider reads these itself, and its error messages might quote them.
    for setting in declared.values():
        if setting.secret and setting.env:
            out.secret(os.environ.get(setting.env))
    return pairs


@contextmanager
def open_handle(out: Output, name: str, pairs: Sequence[str]) -> Iterator[ProviderHandle]:
    """A handle built with --set settings; the provider is shut down when the command ends, unless a
    cleanup was cut short (CleanupCut): its call may still be running, and close() would wait for it."""
    registry = discover()
    registration = lookup(registry, name)
    settings = provider_settings(out, registration, parse_pairs(pairs, "--set"))
    try:
        handle = registry.get(name, **settings)
        handle.provider  # noqa: B018 - building it now makes a bad setting a usage error before any call
    except ValueError as exc:  # an unknown setting or a bad value, named by the core
        raise click.UsageError(str(exc)) from None
    cut = False
    try:
        yield handle
    except CleanupCut:
        cut = True
        raise
    finally:
        if not cut:
            handle.close()
