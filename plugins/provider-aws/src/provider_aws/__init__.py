"""provider-aws: the reference provider-core provider on AWS EC2 (boto3 is imported only when it is built)."""

from provider_aws._errors import EC2_ERRORS, map_error
from provider_aws._provider import CAPABILITIES, AWSProvider
from provider_aws._types import AWSInstance, AWSSnapshot, AWSVolume

__all__ = [
    "CAPABILITIES",
    "EC2_ERRORS",
    "AWSInstance",
    "AWSProvider",
    "AWSSnapshot",
    "AWSVolume",
    "map_error",
]
