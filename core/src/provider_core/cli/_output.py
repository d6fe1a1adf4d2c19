"""Terminal output: rich tables for people, JSON for machines, and secrets redacted on every path."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import IO, Any, Literal, TextIO, cast

from rich import box
from rich.cells import cell_len
from rich.console import Console, RenderableType
from rich.table import Table

REDACTED = "***"
# Off a terminal rich assumes 80 columns and cuts table cells; a pipe or a log has no width, so tables
# there get their natural width (rich pads nothing to the console width, so this costs nothing).
PIPE_WIDTH = 10_000


class Redactor:
    """The secret values of this run (API keys, tokens); every byte the CLI writes passes through it."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, value: str | None) -> None:
        if value:
            # repr() is how validation errors quote a value, escapes included.
            self._secrets.update({value, repr(value)[1:-1]})

    def text(self, text: str) -> str:
        # Longest first, so a secret that contains another is replaced whole.
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def data(self, value: Any) -> Any:
        """A copy of JSON-ready data with secrets removed from every string, keys included."""
        if isinstance(value, str):
            return self.text(value)
        if isinstance(value, Mapping):
            return {self.text(str(k)): self.data(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        return value


class _RedactingStream:
    """A text stream that redacts before writing; rich and click see an ordinary file."""

    def __init__(self, stream: TextIO, redactor: Redactor) -> None:
        self._stream = stream
        self._redactor = redactor

    def write(self, text: str) -> int:
        self._stream.write(self._redactor.text(text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def fileno(self) -> int:
        return self._stream.fileno()

    @property
    def encoding(self) -> str:
        return getattr(self._stream, "encoding", None) or "utf-8"


def _width(stream: IO[str]) -> int | None:
    # None lets rich use the terminal's width, or COLUMNS when the user set it.
    return None if stream.isatty() or os.environ.get("COLUMNS") else PIPE_WIDTH


def colour_allowed() -> bool:
    # https://no-color.org: present and not empty disables colour; rich alone would keep bold and italics.
    return not os.environ.get("NO_COLOR")


class Output:
    """stdout for data, stderr for progress and errors; both redacted and colourless off a terminal."""

    def __init__(self, stdout: TextIO | None = None, stderr: TextIO | None = None) -> None:
        self.redactor = Redactor()
        self.stdout = cast(IO[str], _RedactingStream(stdout or sys.stdout, self.redactor))
        self.stderr = cast(IO[str], _RedactingStream(stderr or sys.stderr, self.redactor))
        system: Literal["auto"] | None = "auto" if colour_allowed() else None
        # markup=False: provider data such as "[x]" in a name must print literally.
        self.out, self.err = (
            Console(
                file=stream,
                color_system=system,
                highlight=False,
                emoji=False,
                markup=False,
                width=_width(stream),
            )
            for stream in (self.stdout, self.stderr)
        )
        # Set by --json so a failure is also reported as a JSON document on stdout.
        self.json_mode = False

    def secret(self, value: str | None) -> None:
        self.redactor.add(value)

    def print(self, *renderables: RenderableType | str) -> None:
        self.out.print(*renderables)

    def json(self, data: Any) -> None:
        self.stdout.write(json.dumps(self.redactor.data(data), indent=2, default=str) + "\n")
        self.stdout.flush()

    def error(self, message: str) -> None:
        self.err.print(f"providers: error: {message}", style="bold red", soft_wrap=True)

    def warn(self, message: str) -> None:
        self.err.print(f"providers: warning: {message}", style="yellow", soft_wrap=True)

    def note(self, message: str) -> None:
        self.err.print(message, style="dim", soft_wrap=True)


def table(
    columns: Sequence[str],
    rows: Iterable[Sequence[object]],
    title: str | None = None,
    whole: Sequence[str] = ("id",),
    optional: Sequence[str] = (),
    width: int | None = None,
) -> Table:
    """A plain table; None cells show as '-'.

    Cells wrap between words, never inside one (a word too long for its column ends in '…'), except in
    the `whole` columns (ids): those never shrink, since a cut id is worse than no id. With `width` (the
    console's), `optional` columns are dropped, last first, until the rest fit. Off a terminal (without
    COLUMNS) nothing wraps: see PIPE_WIDTH.
    """
    cells = [tuple("-" if cell is None else str(cell) for cell in row) for row in rows]
    shown = list(range(len(columns)))
    natural = [max((cell_len(row[i]) for row in cells), default=0) for i in range(len(columns))]
    natural = [max(n, cell_len(c)) for n, c in zip(natural, columns, strict=True)]
    for column in reversed(optional):
        if width is None or _width_of(natural, shown) <= width:
            break
        shown.remove(columns.index(column))
    hidden = [columns[i] for i in range(len(columns)) if i not in shown]
    caption = f"(not shown at this width: {', '.join(hidden)}; use --json)" if hidden else None
    grid = Table(
        title=title,
        caption=caption,
        box=box.SIMPLE_HEAD,
        title_justify="left",
        caption_justify="left",
        show_edge=False,
        pad_edge=False,
    )
    for index in shown:
        column = columns[index]
        if column in whole:
            grid.add_column(column, no_wrap=True, min_width=natural[index])
        else:
            grid.add_column(column, overflow="ellipsis")
    for row in cells:
        grid.add_row(*(row[i] for i in shown))
    return grid


def _width_of(natural: Sequence[int], shown: Sequence[int]) -> int:
    # SIMPLE_HEAD without edges: a space of padding each side of a one-space divider between columns.
    return sum(natural[i] for i in shown) + 3 * (len(shown) - 1)
