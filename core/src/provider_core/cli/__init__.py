"""The `providers` command line (extra `provider-core[cli]`): `providers --help` lists the commands.

The console script points here rather than at `_app` so that `pip install provider-core` without the extra
gets a one-line instruction and exit code 2 (a usage problem) instead of an ImportError traceback, and so
that `providers list --json` can be answered before click or rich is imported.
"""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence

# Modules of the `cli` extra; checked by name so the message can say which one is missing.
CLI_EXTRA_MODULES = ("click", "rich")
MISSING_EXTRA = (
    "providers: error: the command line needs the 'cli' extra ({missing} is not installed); "
    "install it with: pip install 'provider-core[cli]'"
)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script passes it to sys.exit).

    `providers list --json` is answered from the registration index when it is current, before click,
    rich or any provider is imported: it is what scripts call most, and a cold start is most of its cost.
    """
    if list(sys.argv[1:] if argv is None else argv) == ["list", "--json"]:
        from provider_core._installed import indexed_listing_json

        text = indexed_listing_json()
        if text is not None:
            try:
                sys.stdout.write(text)
                sys.stdout.flush()
            except BrokenPipeError:
                # The reader went away (`providers list --json | head`): silence the flush at exit.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 0
    try:
        from provider_core.cli._app import main as app_main
    except ModuleNotFoundError as exc:
        if exc.name not in CLI_EXTRA_MODULES:
            raise
        print(MISSING_EXTRA.format(missing=exc.name), file=sys.stderr)
        return 2
    return app_main(argv)


__all__ = ["main"]
