"""A local emulator of the Lambda Cloud API v1, for tests and the compliance suite."""

from provider_core.testing.kit import Exchange, Fault
from provider_lambda.testing._catalog import CAPACITY, DEFAULT_SSH_KEY, INSTANCE_TYPES, REGIONS
from provider_lambda.testing._double import settings_for, test_double
from provider_lambda.testing._server import LambdaEmulator

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
