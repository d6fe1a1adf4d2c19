"""provider-aws: the reference provider-core provider on AWS EC2 (boto3 is imported only when it is built)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from provider_aws._errors import EC2_ERRORS, map_error
from provider_aws._registration import CAPABILITIES
from provider_aws._settings import AWSSettings
from provider_aws._types import AWSInstance, AWSSnapshot, AWSVolume
from provider_core.author import lazy_exports

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider


# Discovery imports this package for the registration: the provider module loads on first use.
__getattr__ = lazy_exports(__name__, {"AWSProvider": "provider_aws._provider:AWSProvider"})


__all__ = [
    "CAPABILITIES",
    "EC2_ERRORS",
    "AWSInstance",
    "AWSProvider",
    "AWSSettings",
    "AWSSnapshot",
    "AWSVolume",
    "map_error",
]
