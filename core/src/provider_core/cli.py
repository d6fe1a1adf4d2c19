"""The `providers` command (filled in by the CLI issue)."""

import sys


def main() -> None:
    from provider_core import discover

    for name in discover().names():
        print(name)
    sys.exit(0)
