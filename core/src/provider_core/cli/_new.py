"""`providers new NAME`: a provider distribution in the shape every provider has, working as generated."""

from __future__ import annotations

from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path
from string import Template

import click

from provider_core._registration import NAME_PATTERN
from provider_core.cli._common import CliFailure, ExitCode
from provider_core.cli._output import Output

TEMPLATE_SUFFIX = ".tmpl"
# A directory of the template tree named like this becomes the import package.
PACKAGE_DIR = "__package__"


def placeholders(name: str) -> dict[str, str]:
    """The values the templates use, from the provider's name (`my-cloud`)."""
    words = name.replace("_", "-").split("-")
    return {
        "name": name,
        "distribution": f"provider-{name.replace('_', '-')}",
        "package": f"provider_{name.replace('-', '_')}",
        "cls": "".join(word.capitalize() for word in words),
        "title": " ".join(word.capitalize() for word in words),
        "env_prefix": name.replace("-", "_").upper(),
    }


def _walk(node: Traversable, relative: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Traversable]]:
    found: list[tuple[tuple[str, ...], Traversable]] = []
    for child in sorted(node.iterdir(), key=lambda c: c.name):
        if child.is_dir():
            found += _walk(child, (*relative, child.name))
        elif child.name.endswith(TEMPLATE_SUFFIX):
            found.append(((*relative, child.name.removesuffix(TEMPLATE_SUFFIX)), child))
    return found


def generate(name: str, target: Path) -> list[Path]:
    """Write the distribution for provider `name` into target (which must not exist); the files written."""
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(
            f"provider name {name!r} must start with a lowercase letter and hold only lowercase letters, "
            "digits, '-' and '_' (at most 40 characters)"
        )
    if target.exists():
        raise FileExistsError(f"{target} already exists; choose another --directory or remove it")
    values = placeholders(name)
    written = []
    for parts, template in _walk(files("provider_core.cli") / "templates" / "provider"):
        path = target.joinpath(*(values["package"] if p == PACKAGE_DIR else p for p in parts))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(Template(template.read_text(encoding="utf-8")).substitute(values), encoding="utf-8")
        written.append(path)
    return written


@click.command("new")
@click.argument("name")
@click.option(
    "--directory",
    "-d",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path(),
    show_default="the current directory",
    help="Where to create provider-NAME/.",
)
@click.pass_obj
def new_command(out: Output, name: str, directory: Path) -> None:
    """Generate provider-NAME/: a provider distribution that installs and passes the compliance suite."""
    target = directory / placeholders(name)["distribution"]
    try:
        written = generate(name, target)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        raise CliFailure(str(exc), ExitCode.FAILURE) from None
    out.print(f"created {target} ({len(written)} files)")
    out.print(
        f"next: pip install -e '{target}[test]' && python -m pytest {target / 'tests'}; "
        f"then replace the in-memory backend in {placeholders(name)['package']}/_client.py"
    )
