"""provider-aws: the reference provider-core provider on AWS EC2 (boto3 is imported only when it is built)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from provider_aws._errors import EC2_ERRORS, map_error
from provider_aws._registration import CAPABILITIES
from provider_aws._settings import AWSSettings
from provider_aws._types import AWSInstance, AWSSnapshot, AWSVolume

if TYPE_CHECKING:
    from provider_aws._provider import AWSProvider


def __getattr__(name: str) -> Any:
    # The provider module is imported on use: importing the package (as discovery does) stays light.
    if name == "AWSProvider":
        from provider_aws._provider import AWSProvider

        return AWSProvider
    raise AttributeError(f"module 'provider_aws' has no attribute {name!r}")


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
