"""`providers recover NAME`: settle what a crash left unfinished in the spawn journal."""

from __future__ import annotations

import click

from provider_core import to_jsonable
from provider_core._recover import RecoveryPolicy
from provider_core.cli._common import ExitCode, json_option, open_handle, set_option
from provider_core.cli._output import Output


@click.command("recover")
@click.argument("name")
@click.option(
    "--policy",
    type=click.Choice([p.value for p in RecoveryPolicy]),
    required=True,
    help="What to do with an instance an interrupted spawn created: adopt it (record it created) "
    "or terminate it.",
)
@set_option
@json_option
@click.pass_obj
def recover_command(out: Output, name: str, policy: str, settings: tuple[str, ...], as_json: bool) -> int:
    """Settle every unfinished spawn and terminate of NAME in the journal ($PROVIDER_CORE_JOURNAL).

    Running it again changes nothing. Exit 1 when something could not be settled yet.
    """
    with open_handle(out, name, settings) as handle:
        report = handle.recover(RecoveryPolicy(policy))
    if as_json:
        out.json(to_jsonable(report))
    else:
        lines = [
            *(f"adopted {i}" for i in report.adopted),
            *(f"terminated {i}" for i in report.terminated),
            *(f"terminated duplicate {i}" for i in report.duplicates),
            *(f"finished terminate of {i}" for i in report.terminates_finished),
        ]
        if report.not_created:
            lines.append(f"{report.not_created} interrupted spawn(s) created nothing")
        if report.busy:
            lines.append(f"{report.busy} spawn(s) still in progress elsewhere, left alone")
        for line in lines or ["Nothing to recover."]:
            out.print(line)
        for error in report.errors:
            out.warn(error)
    return ExitCode.FAILURE if report.errors else ExitCode.OK
