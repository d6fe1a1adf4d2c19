"""Sweeping: terminate every live managed instance matching a filter (leftovers, CI runs, the CLI)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from provider_core._errors import ProviderError
from provider_core._handle import ProviderHandle
from provider_core._types import GONE_STATUSES, ListFilter, ProviderInstance


class SweepError(ProviderError):
    """Some terminations failed; `terminated` holds the ids that were terminated, `failures` the rest."""

    def __init__(self, provider: str, terminated: list[str], failures: dict[str, ProviderError]) -> None:
        self.terminated = terminated
        self.failures = failures
        first = next(iter(failures.values()))
        detail = "; ".join(f"{pid}: {exc}" for pid, exc in failures.items())
        super().__init__(first.code, f"sweep could not terminate {detail}", provider=provider)

    def __reduce__(self) -> tuple[Any, ...]:
        return (SweepError, (self.provider, self.terminated, self.failures))


def sweep_candidates(handle: ProviderHandle, filter: ListFilter | None = None) -> list[ProviderInstance]:
    """The instances sweep() would terminate: managed, not gone, and matching filter.

    The filter is applied again on this side, so a provider that ignores part of it never gets an
    unmatched instance terminated.
    """
    wanted = filter or ListFilter()
    return [
        i
        for i in handle.list_instances(wanted)
        if i.managed and wanted.matches(i) and i.status not in GONE_STATUSES
    ]


def sweep(
    handle: ProviderHandle, filter: ListFilter | None = None, *, only: Collection[str] | None = None
) -> list[str]:
    """Terminate every sweep candidate; return the ids terminated, or raise SweepError after trying all.

    `only` narrows the sweep to ids the caller already showed someone (a confirmation prompt), so an
    instance that appeared since is never terminated unseen.
    """
    terminated: list[str] = []
    failures: dict[str, ProviderError] = {}
    for instance in sweep_candidates(handle, filter):
        if only is not None and instance.id not in only:
            continue
        try:
            handle.terminate(instance.id)
        except ProviderError as exc:
            failures[instance.id] = exc
        else:
            terminated.append(instance.id)
    if failures:
        raise SweepError(handle.name, terminated, failures)
    return terminated
