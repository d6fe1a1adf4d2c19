"""provider-lambda: Lambda Cloud API v1 for provider-core (additional tier)."""

from typing import TYPE_CHECKING

from provider_core.author import lazy_exports
from provider_lambda._errors import ERROR_CODES
from provider_lambda._ratelimit import RateLimiter
from provider_lambda._registration import CAPABILITIES, registration
from provider_lambda._settings import LambdaSettings
from provider_lambda._types import STATUS_MAP, LambdaInstance

if TYPE_CHECKING:
    from provider_lambda._provider import LambdaProvider

__all__ = [
    "CAPABILITIES",
    "ERROR_CODES",
    "STATUS_MAP",
    "LambdaInstance",
    "LambdaProvider",
    "LambdaSettings",
    "RateLimiter",
    "registration",
]


# Discovery imports this package for the registration: the provider module loads on first use.
__getattr__ = lazy_exports(__name__, {"LambdaProvider": "provider_lambda._provider:LambdaProvider"})
