"""The `providers` command line (extra `provider-core[cli]`): `providers --help` lists the commands.

The console script points here rather than at `_app` so that `pip install provider-core` without the extra
gets a one-line instruction and exit code 2 (a usage problem) instead of an ImportError traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

# Modules of the `cli` extra; checked by name so the message can say which one is missing.
CLI_EXTRA_MODULES = ("click", "rich")
MISSING_EXTRA = (
    "providers: error: the command line needs the 'cli' extra ({missing} is not installed); "
    "install it with: pip install 'provider-core[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script passes it to sys.exit)."""
    try:
        from provider_core.cli._app import main as app_main
    except ModuleNotFoundError as exc:
        if exc.name not in CLI_EXTRA_MODULES:
            raise
        print(MISSING_EXTRA.format(missing=exc.name), file=sys.stderr)
        return 2
    return app_main(argv)


__all__ = ["main"]
