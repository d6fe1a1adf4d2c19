"""The scan of installed distributions: which entry points may load, and each one loaded under a deadline.

An installed distribution is code the host did not write: its import may hang, call sys.exit() or raise a
BaseException. Each entry point is therefore loaded in a daemon worker thread that the scan waits for at
most PROVIDER_CORE_DISCOVERY_TIMEOUT seconds; whatever goes wrong there is recorded as broken, naming the
distribution, and the host carries on. A KeyboardInterrupt from the user reaches the main thread, which is
only waiting, so it still stops the program.
"""

from __future__ import annotations

import math
import os
import sys
import threading
from collections.abc import Callable, Iterable
from importlib import metadata
from importlib.metadata import EntryPoint
from typing import TYPE_CHECKING, Any

from provider_core._claims import Claims

if TYPE_CHECKING:
    from typing import Protocol

    from provider_core._config import CoreConfig

    class Loader(Protocol):
        """The registry being filled (a Protocol: _registry imports this module)."""

        config: CoreConfig

        def refuse(self, name: str, reason: str) -> None: ...
        def load_entry_point(self, entry_point: EntryPoint, *, timeout: float | None = None) -> None: ...
        def load_plugin(self, entry_point: EntryPoint, *, timeout: float | None = None) -> None: ...


PROVIDERS_GROUP = "provider_core.providers"
PLUGINS_GROUP = "provider_core.plugins"
TIMEOUT_ENV = "PROVIDER_CORE_DISCOVERY_TIMEOUT"
DEFAULT_TIMEOUT = 10.0


class LoadFailed(Exception):
    """An entry point that did not load for a reason that is not an ordinary exception; str() says why."""


class TimedOut(LoadFailed):
    """An entry point whose import (or registration call) did not finish within the deadline."""


def describe(error: BaseException) -> str:
    """The reason recorded for a broken entry point."""
    return str(error) if isinstance(error, ValueError | LoadFailed) else _named(error)


def _named(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def discovery_timeout(seconds: float | None = None) -> float:
    """The deadline per entry point: the argument, else PROVIDER_CORE_DISCOVERY_TIMEOUT, else 10 s."""
    if seconds is None:
        text = os.environ.get(TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        try:
            seconds = float(text)
        except ValueError:
            raise ValueError(f"{TIMEOUT_ENV} must be seconds > 0, got {text!r}") from None
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"the discovery timeout must be seconds > 0, got {seconds!r}")
    return seconds


def call_with_deadline(call: Callable[[], Any], seconds: float, what: str) -> Any:
    """call() in a daemon thread; its exception re-raised here (a BaseException as LoadFailed), TimedOut
    after seconds.

    The thread cannot be stopped: a hung import stays parked in the background (a daemon thread does
    not keep the process alive), and its module is not usable, which the broken entry says.
    """
    outcome: dict[str, Any] = {}
    done = threading.Event()

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # SystemExit or KeyboardInterrupt from a plugin must not end the host
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=run, name=f"provider-core discovery: {what}", daemon=True).start()
    if not done.wait(seconds):
        raise TimedOut(f"import did not finish within {seconds:g} s (set {TIMEOUT_ENV} to wait longer)")
    if "error" in outcome:
        error = outcome["error"]
        if isinstance(error, Exception):
            raise error
        raise LoadFailed(_named(error)) from error
    return outcome["value"]


def distribution(entry_point: EntryPoint) -> tuple[str, str]:
    """(name, version) of the distribution publishing entry_point."""
    dist = entry_point.dist
    return (dist.name, dist.version) if dist is not None else (entry_point.value, "")


def origin(entry_point: EntryPoint) -> str:
    """ "distribution version": how broken entries and `providers list` name where a provider came from."""
    return " ".join(filter(None, distribution(entry_point)))


def scan(registry: Loader, timeout: float) -> Scan:
    """Load every entry point the pins allow into registry; what the index needs to know comes back."""
    providers = sorted(metadata.entry_points(group=PROVIDERS_GROUP), key=lambda e: e.name)
    plugins = sorted(metadata.entry_points(group=PLUGINS_GROUP), key=lambda e: e.name)
    claims = Claims(((ep.name, *distribution(ep)) for ep in providers), registry.config.pins)
    for name, reason in claims.refused().items():
        registry.refuse(name, reason)
    for entry_point in providers:
        if claims.chosen(entry_point.name, distribution(entry_point)[0]):
            registry.load_entry_point(entry_point, timeout=timeout)
    for entry_point in plugins:
        registry.load_plugin(entry_point, timeout=timeout)
    return Scan(claims.conflicts(), _source_files([*providers, *plugins]))


class Scan:
    """What one scan found beyond the registry itself."""

    def __init__(self, conflicts: dict[str, dict[str, object]], files: list[tuple[str, int]]) -> None:
        self.conflicts = conflicts
        # The files the result depends on beyond the sys.path listing (editable sources, entry_points.txt).
        self.files = files


def _source_files(entry_points: Iterable[EntryPoint]) -> list[tuple[str, int]]:
    packages = {ep.module.split(".")[0] for ep in entry_points}
    paths = set()
    for name, module in sys.modules.copy().items():
        if name.split(".")[0] in packages and isinstance(getattr(module, "__file__", None), str):
            paths.add(module.__file__)
    for ep in entry_points:
        dist_path = getattr(ep.dist, "_path", None)  # PathDistribution: where entry_points.txt lives
        if dist_path is not None:
            paths.add(os.path.join(str(dist_path), "entry_points.txt"))
    files = []
    for path in sorted(p for p in paths if p):
        try:
            files.append((path, os.stat(path).st_mtime_ns))
        except OSError:
            continue
    return files
