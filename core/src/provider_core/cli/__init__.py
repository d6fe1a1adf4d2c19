"""The `providers` command line (extra `provider-core[cli]`): `providers --help` lists the commands."""

from provider_core.cli._app import main

__all__ = ["main"]
