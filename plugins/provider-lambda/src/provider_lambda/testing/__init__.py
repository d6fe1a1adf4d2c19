"""A local emulator of the Lambda Cloud API v1, for tests and the compliance suite."""

from provider_lambda.testing._catalog import CAPACITY, DEFAULT_SSH_KEY, INSTANCE_TYPES, REGIONS
from provider_lambda.testing._double import settings_for, test_double
from provider_lambda.testing._server import Exchange, LambdaEmulator
from provider_lambda.testing._wire import Fault

__all__ = [
    "CAPACITY",
    "DEFAULT_SSH_KEY",
    "INSTANCE_TYPES",
    "REGIONS",
    "Exchange",
    "Fault",
    "LambdaEmulator",
    "settings_for",
    "test_double",
]
