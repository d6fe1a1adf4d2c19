"""The one table of provider methods: hookspecs, the contract adapter, optional groups and capability
checks are all derived from it (or checked against it here), so adding a method is one row."""

from __future__ import annotations

from typing import Any, NamedTuple

from provider_core._capabilities import Capabilities
from provider_core._types import (
    BootstrapConfig,
    BootstrapScript,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
)

ALWAYS, WITH_KEY, NEVER = "always", "with_key", "never"


class Method(NamedTuple):
    """One provider method as every layer sees it."""

    name: str
    # (argument name, annotation) after the `provider` argument every hook takes.
    params: tuple[tuple[str, Any], ...]
    # What the provider returns, projected to this generic type (None: nothing; SnapshotStatus: a value).
    returns: type | None
    doc: str
    # The capability flag that adds the method; None for the five core methods.
    flag: str | None = None
    # The method's name on the handle's optional group (handle.snapshots.create).
    op: str | None = None
    # list_instances and get_spot_prices return sequences; get_instance may return None.
    many: bool = False
    optional: bool = False
    # When the handle may retry a retryable failure: ALWAYS (reads and idempotent deletes), WITH_KEY (a
    # creation, only when an idempotency key makes a second attempt return the first one's result), NEVER.
    retry: str = ALWAYS

    @property
    def argnames(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.params)


METHODS: tuple[Method, ...] = (
    Method("spawn", (("options", SpawnOptions),), ProviderInstance, "Create an instance.", retry=WITH_KEY),
    Method("terminate", (("provider_id", str),), None, "Destroy an instance; idempotent."),
    Method(
        "list_instances",
        (("filter", ListFilter | None),),
        ProviderInstance,
        "List managed instances matching filter.",
        many=True,
    ),
    Method(
        "get_instance",
        (("provider_id", str),),
        ProviderInstance,
        "Return one instance, or None when it does not exist.",
        optional=True,
    ),
    Method(
        "generate_bootstrap",
        (("config", BootstrapConfig),),
        BootstrapScript,
        "Render the bootstrap script for a new instance.",
    ),
    Method(
        "create_snapshot",
        (("provider_id", str), ("name", str)),
        ProviderSnapshot,
        "Snapshot an instance's root volume.",
        flag="snapshots",
        op="create",
        retry=NEVER,
    ),
    Method(
        "get_snapshot_status",
        (("snapshot_id", str),),
        SnapshotStatus,
        "Return a snapshot's status.",
        flag="snapshots",
        op="status",
    ),
    Method(
        "delete_snapshot",
        (("snapshot_id", str),),
        None,
        "Delete a snapshot; idempotent.",
        flag="snapshots",
        op="delete",
    ),
    Method(
        "request_spot_instance",
        (("options", SpawnOptions), ("max_price_per_hour", float)),
        SpotRequest,
        "Ask for a spot instance at no more than max_price_per_hour.",
        flag="spot",
        op="request",
        retry=WITH_KEY,
    ),
    Method(
        "cancel_spot_request",
        (("request_id", str),),
        None,
        "Cancel a spot request; idempotent.",
        flag="spot",
        op="cancel",
    ),
    Method(
        "get_spot_prices",
        (("instance_type", str), ("region", str | None)),
        SpotPrice,
        "Return current spot prices for an instance type.",
        flag="spot",
        op="prices",
        many=True,
    ),
)

METHOD_BY_NAME: dict[str, Method] = {m.name: m for m in METHODS}
PROVIDER_METHODS: tuple[str, ...] = tuple(METHOD_BY_NAME)
# Flags that add methods; declaring one without all its methods breaks the provider.
OPTIONAL_METHODS: dict[str, tuple[str, ...]] = {}
for _method in METHODS:
    if _method.flag is not None:
        OPTIONAL_METHODS.setdefault(_method.flag, ())
        OPTIONAL_METHODS[_method.flag] += (_method.name,)


def capability_mismatches(capabilities: Capabilities, provider_class: type) -> list[str]:
    """Why the declared flags and the implemented methods disagree (empty when they agree).

    The one capability check: the registry runs it when a provider is added and when it is built.
    """
    problems = []
    for flag, methods in OPTIONAL_METHODS.items():
        present = [m for m in methods if callable(getattr(provider_class, m, None))]
        declared = getattr(capabilities, flag)
        if declared and len(present) < len(methods):
            missing = ", ".join(m for m in methods if m not in present)
            problems.append(f"declares '{flag}' but does not implement {missing}")
        elif not declared and present:
            problems.append(f"implements {', '.join(present)} but does not declare '{flag}'")
    return problems


def group_mismatches(flag: str, group: type) -> list[str]:
    """Why a handle's optional group (SnapshotOps, SpotOps) and the table disagree for flag."""
    expected = {m.op for m in METHODS if m.flag == flag and m.op is not None}
    offered = {name for name in vars(group) if not name.startswith("_") and callable(getattr(group, name))}
    return [f"{group.__name__} lacks {op}" for op in sorted(expected - offered)] + [
        f"{group.__name__}.{op} is not in the method table" for op in sorted(offered - expected)
    ]
