"""Sweeping: terminate every live managed instance matching a filter (leftovers, CI runs, the CLI), then
delete the other paid resources the provider reports for it (`Provider.sweep_resources`)."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from provider_core._errors import ErrorCode, ProviderError, as_provider_error
from provider_core._handle import ProviderHandle
from provider_core._provider import ManagedResource
from provider_core._types import GONE_STATUSES, MANAGED_TAG, ListFilter, ProviderInstance


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


def resource_candidates(handle: ProviderHandle, filter: ListFilter | None = None) -> list[ManagedResource]:
    """The non-instance resources sweep() would delete: those the provider reports for filter that carry
    the management tag and every tag of filter (re-checked here, as for instances)."""
    wanted = filter or ListFilter()
    provider = handle.provider
    try:
        found = list(provider.sweep_resources(wanted))
    except BaseException as exc:
        raise _provider_error(exc, handle.name) from exc
    return [
        r
        for r in found
        if r.tags.get(MANAGED_TAG) == "true"
        and all(r.tags.get(k) == v for k, v in wanted.tags.items())
        and (wanted.region is None or r.region in (None, wanted.region))
    ]


def sweep(
    handle: ProviderHandle, filter: ListFilter | None = None, *, only: Collection[str] | None = None
) -> list[str]:
    """Terminate every sweep candidate, then delete every resource candidate (snapshots, open spot
    requests, spare volumes: after the instances, which may hold them); return the ids removed, or raise
    SweepError after trying all.

    `only` narrows the sweep to ids the caller already showed someone (a confirmation prompt), so an
    instance or resource that appeared since is never removed unseen.
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
    for resource in resource_candidates(handle, filter):
        if only is not None and resource.id not in only:
            continue
        try:
            handle.provider.delete_resource(resource)
        except BaseException as exc:
            mapped = _provider_error(exc, handle.name)
            if mapped.code is not ErrorCode.NOT_FOUND:
                failures[resource.id] = mapped
                continue
        terminated.append(resource.id)
    if failures:
        raise SweepError(handle.name, terminated, failures)
    return terminated


def _provider_error(exc: BaseException, provider: str) -> ProviderError:
    """A provider's failure as a ProviderError; KeyboardInterrupt still stops the program."""
    if isinstance(exc, KeyboardInterrupt):
        raise exc
    return as_provider_error(exc, provider)
