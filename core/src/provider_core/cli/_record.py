"""Step results of `providers demo`, with a line per finished step and live progress on a terminal."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Literal

from attrs import define, frozen
from rich.progress import BarColumn, Progress, SpinnerColumn, TaskID, TextColumn
from rich.text import Text

from provider_core import ProviderError
from provider_core.cli._output import Output

# "n/a": the step does not apply to this provider (chaos goes to one provider only).
Status = Literal["ok", "failed", "skipped", "n/a"]
STYLES: dict[Status, str] = {"ok": "green", "failed": "bold red", "skipped": "yellow", "n/a": "dim"}
MARKS: dict[Status, str] = {"ok": "ok", "failed": "FAIL", "skipped": "skip", "n/a": "-"}


class StepFailed(Exception):
    """A check the demo makes did not hold; the message says what was seen."""


class StepSkipped(Exception):
    """The step cannot run here; the message says why (a skip never fails the demo)."""


class StepInterrupted(StepSkipped):
    """Ctrl-C: the step stopped waiting; the demo cleans up and reports the run as interrupted."""


class StepNotApplicable(StepSkipped):
    """The step is not meant for this provider."""


@frozen
class StepResult:
    provider: str
    step: str
    status: Status
    seconds: float
    detail: str


@define
class StepNote:
    """Yielded by Recorder.step: the body sets detail; ok is false once the step has failed."""

    detail: str = ""
    ok: bool = False


class Recorder:
    def __init__(self, out: Output, steps: Sequence[str]) -> None:
        self.out = out
        self.steps = tuple(steps)
        self.results: list[StepResult] = []
        # When a step last began or ended, and the step each provider is in: after Ctrl-C, a provider that
        # shows no progress for a while is stuck in a call (see demo's wind-down).
        self.last_change = time.monotonic()
        self.current: dict[str, str] = {}
        self._frozen = False
        self._lock = threading.Lock()
        self._tasks: dict[str, TaskID] = {}
        self._progress: Progress | None = None

    @contextmanager
    def live(self, providers: Sequence[str]) -> Iterator[None]:
        """Progress bars while providers run, on a terminal only; finished steps print as lines anyway."""
        if not self.out.err.is_terminal:
            yield
            return
        progress = Progress(
            SpinnerColumn(),
            TextColumn("{task.fields[provider]:<10}"),
            BarColumn(bar_width=20),
            TextColumn("{task.description}"),
            console=self.out.err,
            transient=True,
        )
        for name in providers:
            self._tasks[name] = progress.add_task("waiting", total=len(self.steps), provider=name)
        self._progress = progress
        with progress:
            yield
        self._progress = None

    def freeze(self) -> None:
        """Drop every later result: the summary is final, whatever a thread left behind reports after it."""
        with self._lock:
            self._frozen = True

    def _record(self, result: StepResult) -> None:
        with self._lock:
            if self._frozen:
                return
            self.results.append(result)
            self.last_change = time.monotonic()
        detail = f" - {result.detail}" if result.detail else ""
        mark = MARKS[result.status]
        line = f"{mark:<4} {result.provider:<10} {result.step:<10} {result.seconds:5.1f}s{detail}"
        # A styled Text, not style=: under a live display the style would also paint the progress bars.
        self.out.err.print(Text(line, style=STYLES[result.status]), soft_wrap=True)
        if self._progress is not None and result.provider in self._tasks:
            self._progress.advance(self._tasks[result.provider])

    def skip(self, provider: str, step: str, reason: str) -> None:
        self._record(StepResult(provider, step, "skipped", 0.0, reason))

    def fail(self, provider: str, step: str, reason: str) -> None:
        self._record(StepResult(provider, step, "failed", 0.0, reason))

    @contextmanager
    def step(self, provider: str, step: str, doing: str) -> Iterator[StepNote]:
        """Time the body and record how it ended; exceptions become a failed (or skipped) step."""
        if self._progress is not None and provider in self._tasks:
            self._progress.update(self._tasks[provider], description=doing)
        note = StepNote()
        started = self.last_change = time.monotonic()
        self.current[provider] = step
        status: Status = "ok"
        try:
            yield note
        except StepNotApplicable as exc:
            status, note.detail = "n/a", str(exc)
        except StepSkipped as exc:
            status, note.detail = "skipped", str(exc)
        except (ProviderError, StepFailed) as exc:
            status, note.detail = "failed", str(exc)
        except Exception as exc:
            status, note.detail = "failed", f"{type(exc).__name__}: {exc}"
        note.ok = status != "failed"
        self.current.pop(provider, None)
        self._record(StepResult(provider, step, status, time.monotonic() - started, note.detail))

    def failed(self) -> list[StepResult]:
        return [r for r in self.results if r.status == "failed"]
