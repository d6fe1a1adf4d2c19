"""provider-core: discover compute providers and call them through one typed contract.

This namespace is for callers (control planes, CLIs): discovery, handles, value types and errors.
Provider authors use `provider_core.author`, hook authors `provider_core.hooks`, test authors
`provider_core.testing`.
"""

TYPE_CHECKING = False
if TYPE_CHECKING:
    from provider_core._capabilities import Capabilities, Tier
    from provider_core._convert import to_jsonable
    from provider_core._errors import (
        TAXONOMY,
        CapabilityNotSupported,
        ErrorCategory,
        ErrorCode,
        ProviderError,
    )
    from provider_core._handle import ProviderHandle, SnapshotOps, SpotOps
    from provider_core._index import InstalledProvider, InstalledSetting, Inventory
    from provider_core._installed import installed
    from provider_core._recover import RecoveryPolicy, RecoveryReport
    from provider_core._registry import DiscoveryError, ProviderRegistry, UnknownProvider, discover
    from provider_core._retry import RetryPolicy, call_with_timeout, retry
    from provider_core._sweep import SweepError, resource_candidates, sweep, sweep_candidates
    from provider_core._types import (
        BootstrapConfig,
        BootstrapFormat,
        BootstrapScript,
        Drift,
        DriftKind,
        HeartbeatKind,
        HeartbeatReport,
        HeartbeatTask,
        InstanceStatus,
        ListFilter,
        NetworkConfig,
        ProviderInstance,
        ProviderSnapshot,
        SnapshotStatus,
        SpawnOptions,
        SpotPrice,
        SpotRequest,
        SpotRequestStatus,
        VolumeAttachment,
    )
    from provider_core._wait import WaitTimeout, wait_for

# Names load on first use, so `import provider_core` costs next to nothing: `providers list` and
# `installed()` read the registration index without importing attrs, pluggy or importlib.metadata.
_EXPORTS = {
    "BootstrapConfig": "provider_core._types",
    "BootstrapFormat": "provider_core._types",
    "BootstrapScript": "provider_core._types",
    "Capabilities": "provider_core._capabilities",
    "CapabilityNotSupported": "provider_core._errors",
    "DiscoveryError": "provider_core._registry",
    "Drift": "provider_core._types",
    "DriftKind": "provider_core._types",
    "ErrorCategory": "provider_core._errors",
    "ErrorCode": "provider_core._errors",
    "HeartbeatKind": "provider_core._types",
    "HeartbeatReport": "provider_core._types",
    "HeartbeatTask": "provider_core._types",
    "InstalledProvider": "provider_core._index",
    "InstalledSetting": "provider_core._index",
    "InstanceStatus": "provider_core._types",
    "Inventory": "provider_core._index",
    "ListFilter": "provider_core._types",
    "NetworkConfig": "provider_core._types",
    "ProviderError": "provider_core._errors",
    "ProviderHandle": "provider_core._handle",
    "ProviderInstance": "provider_core._types",
    "ProviderRegistry": "provider_core._registry",
    "ProviderSnapshot": "provider_core._types",
    "RecoveryPolicy": "provider_core._recover",
    "RecoveryReport": "provider_core._recover",
    "RetryPolicy": "provider_core._retry",
    "SnapshotOps": "provider_core._handle",
    "SnapshotStatus": "provider_core._types",
    "SpawnOptions": "provider_core._types",
    "SpotOps": "provider_core._handle",
    "SpotPrice": "provider_core._types",
    "SpotRequest": "provider_core._types",
    "SpotRequestStatus": "provider_core._types",
    "SweepError": "provider_core._sweep",
    "TAXONOMY": "provider_core._errors",
    "Tier": "provider_core._capabilities",
    "UnknownProvider": "provider_core._registry",
    "VolumeAttachment": "provider_core._types",
    "WaitTimeout": "provider_core._wait",
    "call_with_timeout": "provider_core._retry",
    "discover": "provider_core._registry",
    "installed": "provider_core._installed",
    "resource_candidates": "provider_core._sweep",
    "retry": "provider_core._retry",
    "sweep": "provider_core._sweep",
    "sweep_candidates": "provider_core._sweep",
    "to_jsonable": "provider_core._convert",
    "wait_for": "provider_core._wait",
}


def __getattr__(name: str) -> object:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'provider_core' has no attribute {name!r}")
    # __import__ rather than importlib.import_module: importing importlib costs this path a little more.
    value = getattr(__import__(module, fromlist=[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


__all__ = [
    "TAXONOMY",
    "BootstrapConfig",
    "BootstrapFormat",
    "BootstrapScript",
    "Capabilities",
    "CapabilityNotSupported",
    "DiscoveryError",
    "Drift",
    "DriftKind",
    "ErrorCategory",
    "ErrorCode",
    "HeartbeatKind",
    "HeartbeatReport",
    "HeartbeatTask",
    "InstalledProvider",
    "InstalledSetting",
    "InstanceStatus",
    "Inventory",
    "ListFilter",
    "NetworkConfig",
    "ProviderError",
    "ProviderHandle",
    "ProviderInstance",
    "ProviderRegistry",
    "ProviderSnapshot",
    "RecoveryPolicy",
    "RecoveryReport",
    "RetryPolicy",
    "SnapshotOps",
    "SnapshotStatus",
    "SpawnOptions",
    "SpotOps",
    "SpotPrice",
    "SpotRequest",
    "SpotRequestStatus",
    "SweepError",
    "Tier",
    "UnknownProvider",
    "VolumeAttachment",
    "WaitTimeout",
    "call_with_timeout",
    "discover",
    "installed",
    "resource_candidates",
    "retry",
    "sweep",
    "sweep_candidates",
    "to_jsonable",
    "wait_for",
]
