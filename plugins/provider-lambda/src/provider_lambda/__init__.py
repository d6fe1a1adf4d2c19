"""provider-lambda: Lambda Cloud API v1 for provider-core (additional tier)."""

from provider_lambda._errors import ERROR_CODES
from provider_lambda._provider import LambdaProvider
from provider_lambda._ratelimit import RateLimiter
from provider_lambda._settings import SETTINGS, LambdaSettings
from provider_lambda._types import STATUS_MAP, LambdaInstance

__all__ = [
    "ERROR_CODES",
    "SETTINGS",
    "STATUS_MAP",
    "LambdaInstance",
    "LambdaProvider",
    "LambdaSettings",
    "RateLimiter",
]
