"""The `providers` command group and main(): exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from provider_core import ProviderError
from provider_core.cli._bootstrap import bootstrap_command
from provider_core.cli._check import check_command
from provider_core.cli._common import CliFailure, ExitCode, error_document, error_line
from provider_core.cli._demo import demo_command
from provider_core.cli._instances import (
    get_command,
    ls_command,
    spawn_command,
    sweep_command,
    terminate_command,
)
from provider_core.cli._inventory import info_command, list_command
from provider_core.cli._output import Output
from provider_core.cli._recover import recover_command

EPILOG = """\b
Exit codes: 0 ok, 1 failure, 2 usage error (unknown provider or setting, bad option),
3 provider error, 4 authentication error. Set NO_COLOR to turn colour off.
"""


@click.group(epilog=EPILOG, context_settings={"help_option_names": ["-h", "--help"]})
def cli() -> None:
    """Discover, inspect and drive compute-instance providers; `providers demo` shows it all offline."""


for command in (
    list_command,
    info_command,
    spawn_command,
    ls_command,
    get_command,
    terminate_command,
    sweep_command,
    bootstrap_command,
    check_command,
    demo_command,
    recover_command,
):
    cli.add_command(command)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script passes it to sys.exit)."""
    out = Output()
    try:
        result = cli.main(args=argv, prog_name="providers", standalone_mode=False, obj=out)
    except click.ClickException as exc:
        exc.show(file=out.stderr)
        return exc.exit_code
    except click.Abort:
        out.error("aborted")
        return ExitCode.FAILURE
    except ProviderError as exc:
        code = error_line(out, exc)
        if out.json_mode:
            out.json(error_document(exc))
        return code
    except CliFailure as exc:
        out.error(str(exc))
        return exc.code
    except KeyboardInterrupt:
        out.error("interrupted")
        return 130
    except BrokenPipeError:
        # The reader went away (`providers ls x | head`): silence the flush at exit, report success.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:
        # A bug, not a provider failure: still one line, with what is needed to report it.
        out.error(f"unexpected {type(exc).__name__}: {exc}")
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK
