"""provider-core: discover compute providers and call them through one typed contract.

This namespace is for callers (control planes, CLIs): discovery, handles, value types and errors.
Provider authors use `provider_core.author`, hook authors `provider_core.hooks`, test authors
`provider_core.testing`.
"""

from provider_core._capabilities import Capabilities, Tier
from provider_core._convert import to_jsonable
from provider_core._errors import TAXONOMY, CapabilityNotSupported, ErrorCategory, ErrorCode, ProviderError
from provider_core._handle import ProviderHandle, SnapshotOps, SpotOps
from provider_core._recover import RecoveryPolicy, RecoveryReport
from provider_core._registry import DiscoveryError, ProviderRegistry, UnknownProvider, discover
from provider_core._retry import RetryPolicy, call_with_timeout, retry
from provider_core._sweep import SweepError, sweep, sweep_candidates
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
    "InstanceStatus",
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
    "call_with_timeout",
    "discover",
    "retry",
    "sweep",
    "sweep_candidates",
    "to_jsonable",
]
