"""provider-slurm: Slurm for provider-core (additional tier)."""

from typing import TYPE_CHECKING

from provider_core.author import lazy_exports
from provider_slurm._errors import ERROR_MESSAGES
from provider_slurm._registration import CAPABILITIES, registration
from provider_slurm._settings import SlurmSettings
from provider_slurm._types import STATUS_MAP, SlurmInstance

if TYPE_CHECKING:
    from provider_slurm._provider import SlurmProvider

__all__ = [
    "CAPABILITIES",
    "ERROR_MESSAGES",
    "STATUS_MAP",
    "SlurmInstance",
    "SlurmProvider",
    "SlurmSettings",
    "registration",
]

# Discovery imports this package for the registration: the provider module loads on first use.
__getattr__ = lazy_exports(__name__, {"SlurmProvider": "provider_slurm._provider:SlurmProvider"})
