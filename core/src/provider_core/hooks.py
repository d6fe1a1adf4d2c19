"""For hook authors: markers, the method table, and helpers for wrappers and heartbeats.

Register an object carrying `@hookimpl` functions with `registry.plugin_manager.register(obj)`, or publish
it under the `provider_core.plugins` entry-point group. See core/README.md, "Hooks".
"""

from provider_core._hookspecs import LIFECYCLE_HOOKS, PROJECT, InstanceSource, hookimpl, hookspec
from provider_core._lifecycle import compute_drift, timed_report
from provider_core._methods import METHODS, OPTIONAL_METHODS, PROVIDER_METHODS, Method
from provider_core._retry import current_attempt
from provider_core._wrappers import Around, MethodWrappers, observe_outcome

__all__ = [
    "LIFECYCLE_HOOKS",
    "METHODS",
    "OPTIONAL_METHODS",
    "PROJECT",
    "PROVIDER_METHODS",
    "Around",
    "InstanceSource",
    "Method",
    "MethodWrappers",
    "compute_drift",
    "current_attempt",
    "hookimpl",
    "hookspec",
    "observe_outcome",
    "timed_report",
]
