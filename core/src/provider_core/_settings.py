"""Typed provider settings owned by the core: declared once, resolved explicit > environment > default.

A provider declares an attrs class whose fields are `setting(...)`s; the core resolves and validates
every value, keeps secrets out of reprs and messages, and builds the provider with the typed object.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

import attrs
from attrs import frozen

from provider_core import _secrets
from provider_core._parsers import text
from provider_core._secrets import redact

T = TypeVar("T")
_METADATA_KEY = "provider_core.setting"


@frozen
class Setting:
    """One setting as `providers info`, the CLI and the resolver see it."""

    name: str
    description: str = ""
    # The environment variable that supplies the value when none is given explicitly.
    env: str | None = None
    secret: bool = False
    default: Any = None
    parse: Callable[[Any], Any] | None = None
    # The variable is read by the provider's SDK (boto3), never by the core: its precedence stays the SDK's.
    sdk_env: bool = False


class UnknownSetting(LookupError, ValueError):
    """A setting name the provider does not declare (exit 2 in the CLI, like any bad setting)."""


def setting(
    default: Any = None,
    *,
    description: str = "",
    env: str | None = None,
    secret: bool = False,
    parse: Callable[[Any], Any] | None = None,
    sdk_env: bool = False,
) -> Any:
    """Declare a field of a provider's settings class (an attrs class, frozen by convention)."""
    meta = {"description": description, "env": env, "secret": secret, "parse": parse, "sdk_env": sdk_env}
    return attrs.field(default=default, repr=not secret, metadata={_METADATA_KEY: meta})


def declared_settings(settings_type: type | None) -> tuple[Setting, ...]:
    """The Setting of every field of a settings class, in declaration order."""
    if settings_type is None:
        return ()
    found = []
    for field in attrs.fields(settings_type):
        meta = field.metadata.get(_METADATA_KEY, {})
        default = None if field.default is attrs.NOTHING else field.default
        found.append(Setting(field.name, default=default, **meta))
    return tuple(found)


def check_names(provider: str, declared: tuple[Setting, ...], names: Any) -> None:
    known = {s.name for s in declared}
    unknown = sorted(set(names) - known)
    if unknown:
        raise UnknownSetting(
            f"unknown setting(s) for provider '{provider}': {', '.join(unknown)}; "
            f"known: {', '.join(sorted(known)) or 'none'}"
        )


def resolve_settings(
    settings_type: type[T],
    given: Mapping[str, Any],
    *,
    provider: str,
    environ: Mapping[str, str] | None = None,
) -> T:
    """Build settings_type from explicit values, then the environment, then the defaults.

    A bad value raises ValueError naming the provider and the setting; a secret's value is never shown,
    and every secret resolved is registered with the log filter (`provider_core._secrets`).
    """
    declared = declared_settings(settings_type)
    check_names(provider, declared, given)
    env = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    for item in declared:
        raw = given.get(item.name)
        if raw is None and item.env and not item.sdk_env:
            raw = env.get(item.env) or None
        if raw is None:
            values[item.name] = item.default
            continue
        values[item.name] = _parsed(item, raw, provider)
        if item.secret:
            # From here on the log filter hides it, whichever library would print it.
            _secrets.register(values[item.name])
    return settings_type(**values)


def _parsed(item: Setting, raw: Any, provider: str) -> Any:
    try:
        value = item.parse(raw) if item.parse is not None else text(raw)
        if item.secret:
            _check_secret(value)
    except Exception as exc:  # any parser failure is the caller's bad value, never a crash
        reason = str(exc)
        if item.secret:
            reason = redact(reason, [raw]) if isinstance(raw, str) else type(exc).__name__
        raise ValueError(f"setting '{item.name}' of provider '{provider}' is not valid: {reason}") from None
    return value


def _check_secret(value: Any) -> None:
    # A control character in a key would add header lines or break a config file (and reveal itself).
    if isinstance(value, str) and any(not c.isprintable() or c.isspace() for c in value):
        raise ValueError("a secret must not contain spaces or control characters (value not shown)")
