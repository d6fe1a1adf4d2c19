"""How a registry behaves, set one way: arguments to discover() (or ProviderRegistry), else environment
variables, else the defaults. Pinning, the retry policy and the spawn journal all live here."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from attrs import field, frozen

from provider_core._claims import PIN_ENV as PIN_ENV  # re-exported: the one place config is read
from provider_core._claims import parse_pins as parse_pins
from provider_core._retry import RetryPolicy

RETRY_ENV = "PROVIDER_CORE_RETRY"  # "off", "on", or "attempts=5,delay=0.5,max_delay=30,total=120"
JOURNAL_ENV = "PROVIDER_CORE_JOURNAL"  # "sqlite:///path/journal.db", "postgresql://...", or "off"

# Marks an argument that was not given, so None can mean "off".
UNSET: Any = object()
_RETRY_FIELDS = {
    "attempts": "max_attempts",
    "delay": "base_delay",
    "max_delay": "max_delay",
    "total": "max_total",
}


def _pins(value: Mapping[str, str]) -> dict[str, str]:
    return dict(value)


@frozen
class CoreConfig:
    # Provider name -> the distribution allowed to serve it (see "Pinning" in core/README.md).
    pins: Mapping[str, str] = field(factory=dict, converter=_pins)
    # The handle's default retry policy; None switches retries off.
    retry: RetryPolicy | None = field(factory=RetryPolicy)
    # The spawn journal's URL; None: no journal. Out of repr: a PostgreSQL URL may carry a password.
    journal: str | None = field(default=None, repr=False)

    @classmethod
    def resolve(
        cls,
        *,
        pins: Mapping[str, str] | None = None,
        retry: RetryPolicy | None = UNSET,
        journal: str | None = UNSET,
        environ: Mapping[str, str] | None = None,
    ) -> CoreConfig:
        """Arguments win over the environment; a malformed variable is a ValueError naming it."""
        env = os.environ if environ is None else environ
        return cls(
            pins=parse_pins(env.get(PIN_ENV, "")) if pins is None else pins,
            retry=parse_retry(env.get(RETRY_ENV, "")) if retry is UNSET else retry,
            journal=parse_journal(env.get(JOURNAL_ENV, "")) if journal is UNSET else journal,
        )


def parse_retry(text: str) -> RetryPolicy | None:
    text = text.strip().lower()
    if text in ("", "on", "default"):
        return RetryPolicy()
    if text in ("off", "0", "no", "false"):
        return None
    values: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, _, raw = item.partition("=")
        if key not in _RETRY_FIELDS:
            raise ValueError(
                f"{RETRY_ENV}: unknown key {key!r}; expected off, on or {', '.join(_RETRY_FIELDS)}"
            )
        try:
            values[_RETRY_FIELDS[key]] = int(raw) if key == "attempts" else float(raw)
        except ValueError:
            raise ValueError(f"{RETRY_ENV}: {key} must be a number, got {raw!r}") from None
    return RetryPolicy(**values)  # type: ignore[arg-type]


def parse_journal(text: str) -> str | None:
    text = text.strip()
    if text in ("", "off"):
        return None
    if not text.startswith(("sqlite://", "postgresql://", "postgres://")):
        raise ValueError(
            f"{JOURNAL_ENV} must be sqlite:///PATH or postgresql://..., got {text.split(':')[0]}:..."
        )
    return text
