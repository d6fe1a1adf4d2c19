"""Chaos injection for any provider: faults, resource constraints, drift and spot interruptions.

`plugin` is published under the `provider_core.plugins` entry-point group, so setting
PROVIDER_CORE_CHAOS switches chaos on for every discovered registry without code changes.
"""

from provider_orbstack.chaos._config import ChaosConfig, Constraints, Drift, Fault, ProviderChaos
from provider_orbstack.chaos._engine import ORPHAN_TAG, RETAG_TAG, ChaosEvent, ChaosState
from provider_orbstack.chaos._plugin import ENV_VAR, ChaosPlugin, enable_chaos

plugin = ChaosPlugin()

__all__ = [
    "ENV_VAR",
    "ORPHAN_TAG",
    "RETAG_TAG",
    "ChaosConfig",
    "ChaosEvent",
    "ChaosPlugin",
    "ChaosState",
    "Constraints",
    "Drift",
    "Fault",
    "ProviderChaos",
    "enable_chaos",
    "plugin",
]
