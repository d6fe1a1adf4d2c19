"""The `providers` command line (extra `provider-core[cli]`): `providers --help` lists the commands."""

from __future__ import annotations

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence


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
    from provider_core.cli._app import main as run

    return run(argv)


__all__ = ["main"]
