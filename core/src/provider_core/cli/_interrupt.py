"""After Ctrl-C: cleanup bounded in time, so that a provider call which never returns cannot hold a command
up, and the command line that finishes the cleanup by hand when it could not run to the end."""

from __future__ import annotations

import shlex
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from provider_core.cli._output import Output

T = TypeVar("T")

# Ctrl-C stops a command within about a second: how long work in progress then gets to finish on its own
# (pytest's teardowns, a demo provider's next step) before the command stops waiting for it.
INTERRUPT_GRACE = 1.0
# A terminate or a listing normally answers well within a second; this only bounds a provider that hangs.
# A second Ctrl-C ends the wait at once.
CLEANUP_TIMEOUT = 10.0


# Threads given up on while in a provider call; see exit_now().
_left_behind: list[threading.Thread] = []


def leave_behind(threads: Sequence[threading.Thread]) -> None:
    """Record threads this command stopped waiting for (daemon threads, still in a provider call)."""
    _left_behind.extend(threads)


def exit_now() -> bool:
    """Whether the process must end without the interpreter's shutdown: it waits for non-daemon threads
    (a test double's server) and joins every executor's workers, and a thread left in a provider call may
    keep either busy for good."""
    return any(thread.is_alive() for thread in _left_behind)


class CleanupCut(KeyboardInterrupt):
    """Cleanup after Ctrl-C ended before its provider calls returned (a second Ctrl-C, or its time bound).

    The calls may still run in their daemon thread, so their handle must not be closed: close() waits for
    every call in progress (open_handle leaves it open). Like any KeyboardInterrupt, it exits 130.
    """


def bounded(action: Callable[[], T], timeout: float = CLEANUP_TIMEOUT) -> T:
    """action() in a daemon thread: its result, or what it raised; CleanupCut after timeout seconds or on
    a second Ctrl-C, leaving the thread to finish or to end with the process."""
    outcome: list[T] = []
    failure: list[BaseException] = []
    done = threading.Event()

    def run() -> None:
        try:
            outcome.append(action())
        except BaseException as exc:  # handed to the waiting thread, which raises it
            failure.append(exc)
        finally:
            done.set()

    worker = threading.Thread(target=run, name="providers-cleanup", daemon=True)
    try:
        # Started inside the try: a Ctrl-C from here on, whenever it lands, leaves the handle open.
        worker.start()
        finished = done.wait(timeout)
    except KeyboardInterrupt:
        leave_behind([worker])
        raise CleanupCut("a second Ctrl-C stopped the cleanup") from None
    if not finished:
        leave_behind([worker])
        raise CleanupCut(f"the cleanup did not finish within {timeout:g}s")
    if failure:
        raise failure[0]
    return outcome[0]


def command_text(out: Output, words: Sequence[str], settings: Mapping[str, object]) -> str:
    """A `providers` command line to paste, with settings as --set KEY=VALUE.

    Each value is redacted before it is quoted: quoting could split a secret so the redactor would no longer
    recognise it on the way out.
    """
    parts = ["providers", *words]
    for key, value in settings.items():
        parts += ["--set", out.redactor.text(f"{key}={value}")]
    return f"`{shlex.join(parts)}`"
