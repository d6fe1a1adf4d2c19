"""Helpers shared by the workflows."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider

# SpawnOptions.idempotency_key's limit (and EC2's ClientToken's).
_KEY_LENGTH = 64


def available_zones(provider: AWSProvider, region: str) -> list[str]:
    found = provider.access.call(
        region,
        lambda c: c.describe_availability_zones(
            Filters=[
                {"Name": "state", "Values": ["available"]},
                {"Name": "zone-type", "Values": ["availability-zone"]},
            ]
        ),
    )
    return sorted(str(z["ZoneName"]) for z in found["AvailabilityZones"])


def member_key(key: str, index: int) -> str:
    """The idempotency key of a workflow's index-th instance: the same on every retry of the workflow.

    A key too long to take the suffix is replaced by its digest, which still fits the key pattern.
    """
    suffix = f"-{index}"
    if len(key) + len(suffix) > _KEY_LENGTH:
        key = hashlib.sha256(key.encode()).hexdigest()[: _KEY_LENGTH - len(suffix)]
    return key + suffix
