"""Public helpers of the compliance suite: capability requirements, bounded waiting, unknown ids."""

from __future__ import annotations

import string
from collections.abc import Callable, Collection
from typing import TYPE_CHECKING, TypeGuard, TypeVar

if TYPE_CHECKING:
    import pytest

from provider_core import Capabilities, ErrorCode, InstanceStatus, ProviderError, ProviderInstance
from provider_core._wait import poll

T = TypeVar("T")

# Every instance the suite spawns carries this tag (value: the run id) and a name starting with
# NAME_PREFIX + run id, so leftovers of any run can be found and swept.
RUN_TAG = "compliance-run"
NAME_PREFIX = "cc-"


def requires(*flags: str) -> pytest.MarkDecorator:
    """Run the decorated test or class only against providers declaring every flag (skip otherwise).

    A class may say the same with `__requires__ = ("snapshots",)`.
    """
    unknown = sorted(set(flags) - set(Capabilities.flag_names()))
    if unknown or not flags:
        raise ValueError(f"requires() needs capability flags, unknown: {', '.join(unknown) or 'none given'}")
    import pytest  # the reference provider and the kit are importable without pytest

    return pytest.mark.requires(*flags)


def is_alive(instance: ProviderInstance | None) -> TypeGuard[ProviderInstance]:
    """True while an instance exists and is not terminated (terminating still counts: it may survive)."""
    return instance is not None and instance.status != InstanceStatus.TERMINATED


def eventually(fetch: Callable[[], T], done: Callable[[T], bool], timeout: float) -> tuple[bool, T]:
    """Call fetch until done(value) or timeout seconds pass; return (done, last value)."""
    return poll(fetch, done, timeout)


_CLASSES = (string.digits, string.ascii_lowercase, string.ascii_uppercase)


def unknown_id(sample: str, taken: Collection[str]) -> str:
    """An id shaped like sample (same prefix, length and character classes) that is not in taken.

    Real providers validate id formats; an id that looks right but was never issued is the case a
    control plane meets (an instance deleted long ago).
    """
    cut = max(sample.rfind("-"), sample.rfind("_")) + 1
    head, tail = sample[:cut], sample[cut:]
    # A digits-only tail stays digits; one with a-f letters stays hexadecimal.
    hexadecimal = any(c in "abcdef" for c in tail) and all(c in "0123456789abcdef" for c in tail)
    alphabets = ("0123456789abcdef",) if hexadecimal else _CLASSES
    for shift in range(1, 64):
        candidate = head + "".join(_rotate(c, shift * (i + 1), alphabets) for i, c in enumerate(tail))
        if candidate != sample and candidate not in taken:
            return candidate
    raise ProviderError(ErrorCode.INTERNAL, f"cannot derive an unknown id from {sample!r}", provider="suite")


def _rotate(char: str, by: int, alphabets: tuple[str, ...]) -> str:
    for alphabet in alphabets:
        if char in alphabet:
            return alphabet[(alphabet.index(char) + by) % len(alphabet)]
    return char
