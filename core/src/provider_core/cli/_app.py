"""The `providers` command group and main(): exit codes and one-line errors, never a traceback."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import click

from provider_core import ProviderError
from provider_core._registration import load
from provider_core.cli._common import CliFailure, ExitCode, error_document, error_line
from provider_core.cli._interrupt import exit_now
from provider_core.cli._output import Output

EPILOG = """\b
Exit codes: 0 ok; 1 failure; 2 usage error (unknown provider, unknown
setting or bad setting value, bad option, sweep without --yes and no
terminal); 3 provider error; 4 authentication error; 130 interrupted.
Set NO_COLOR to turn colour off.
"""


# Each command's module is imported only when that command runs (or when --help lists them all).
COMMANDS = {
    "list": "provider_core.cli._inventory:list_command",
    "info": "provider_core.cli._inventory:info_command",
    "spawn": "provider_core.cli._spawn:spawn_command",
    "ls": "provider_core.cli._instances:ls_command",
    "get": "provider_core.cli._instances:get_command",
    "terminate": "provider_core.cli._instances:terminate_command",
    "sweep": "provider_core.cli._instances:sweep_command",
    "bootstrap": "provider_core.cli._bootstrap:bootstrap_command",
    "check": "provider_core.cli._check:check_command",
    "demo": "provider_core.cli._demo:demo_command",
    "new": "provider_core.cli._new:new_command",
    "recover": "provider_core.cli._recover:recover_command",
}


class LazyGroup(click.Group):
    """A group whose commands are "module:attr" paths, imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        path = COMMANDS.get(cmd_name)
        return None if path is None else load(path)


@click.group(
    cls=LazyGroup,
    epilog=EPILOG,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(package_name="provider-core", prog_name="providers")
@click.pass_context
def cli(ctx: click.Context) -> None:
    """Discover, inspect and drive compute-instance providers; `providers demo` shows it all offline."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (the console script passes it to sys.exit).

    After a Ctrl-C that left a thread in a provider call, the process ends here instead (os._exit): the
    interpreter's shutdown could wait for that call forever.
    """
    out = Output()
    code = _run(out, argv)
    if exit_now():
        out.stdout.flush()
        out.stderr.flush()
        os._exit(code)
    return code


def _run(out: Output, argv: Sequence[str] | None) -> int:
    try:
        result = cli.main(args=argv, prog_name="providers", standalone_mode=False, obj=out)
    except click.ClickException as exc:
        exc.show(file=out.stderr)
        return exc.exit_code
    except click.Abort as exc:
        # click turns a Ctrl-C that escapes a command into Abort; a declined confirmation is one of its own.
        if isinstance(exc.__cause__, KeyboardInterrupt):
            out.error("interrupted")
            return ExitCode.INTERRUPTED
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
        return ExitCode.INTERRUPTED
    except BrokenPipeError:
        # The reader went away (`providers ls x | head`): silence the flush at exit, report success.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return ExitCode.OK
    except Exception as exc:
        # A bug, not a provider failure: still one line, with what is needed to report it.
        out.error(f"unexpected {type(exc).__name__}: {exc}")
        return ExitCode.FAILURE
    return int(result) if isinstance(result, int) else ExitCode.OK
