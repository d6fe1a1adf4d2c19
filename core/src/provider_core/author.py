"""For provider authors: the base class, the registration, settings, and helpers a cloud API needs.

A provider writes only what is specific to its cloud: the core applies the contract's rules around it
(see core/README.md, "Writing a provider", and docs/writing-a-provider.md).
"""

from provider_core import _parsers as parsers
from provider_core._bootstrap import render_bootstrap, render_cloud_init, render_shell
from provider_core._build import build_instance, gc_paused
from provider_core._contract import RESERVED_TAG_PREFIX, managed_tags
from provider_core._convert import materialize, project
from provider_core._errors import MAX_SERVER_WAIT, as_provider_error, cap_wait, parse_retry_after
from provider_core._handle import WorkflowContext
from provider_core._idempotency import TagAndList
from provider_core._journaled import SharedBudget, request_budget
from provider_core._pacing import ARRIVAL_LATENESS, PacedRequest
from provider_core._provider import ManagedResource, Offerings, Provider
from provider_core._registration import ComplianceProfile, ProviderRegistration, lazy_exports
from provider_core._secrets import redact, scrubbed
from provider_core._settings import (
    Setting,
    UnknownSetting,
    declared_settings,
    resolve_settings,
    setting,
)
from provider_core._types import GONE_STATUSES, IDEMPOTENCY_TAG, MANAGED_TAG, sha256_hex
from provider_core._wire import (
    Deadline,
    DeadlineExceeded,
    decode_json,
    path_segment,
    read_body,
    server_answer,
    server_id,
)

__all__ = [
    "ARRIVAL_LATENESS",
    "GONE_STATUSES",
    "IDEMPOTENCY_TAG",
    "MANAGED_TAG",
    "MAX_SERVER_WAIT",
    "RESERVED_TAG_PREFIX",
    "ComplianceProfile",
    "Deadline",
    "DeadlineExceeded",
    "ManagedResource",
    "Offerings",
    "PacedRequest",
    "Provider",
    "ProviderRegistration",
    "Setting",
    "SharedBudget",
    "TagAndList",
    "UnknownSetting",
    "WorkflowContext",
    "as_provider_error",
    "build_instance",
    "cap_wait",
    "declared_settings",
    "decode_json",
    "gc_paused",
    "lazy_exports",
    "managed_tags",
    "materialize",
    "parse_retry_after",
    "parsers",
    "path_segment",
    "project",
    "read_body",
    "redact",
    "render_bootstrap",
    "render_cloud_init",
    "render_shell",
    "request_budget",
    "resolve_settings",
    "scrubbed",
    "server_answer",
    "server_id",
    "setting",
    "sha256_hex",
]
