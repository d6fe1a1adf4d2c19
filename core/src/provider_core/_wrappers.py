"""MethodWrappers: one pluggy wrapper around every provider method, generated from the method table.

Audit logs, budget guards, tracing and chaos wrap every method the same way; they write one generator
`around(provider, method, arguments)` instead of eleven hook implementations kept in step by hand.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Generator, Mapping
from typing import Any

from provider_core._errors import ProviderError
from provider_core._hookspecs import hook_function, hookimpl
from provider_core._methods import METHODS, PROVIDER_METHODS, Method

# around(provider, method, arguments): code before `yield` runs before the call (raise to veto it); the
# yield gives the result (or raises the call's error); what it returns replaces the result.
Around = Callable[[str, str, Mapping[str, Any]], Generator[None, Any, Any]]


class MethodWrappers:
    """A plugin object wrapping the provider methods named in `methods` (default: all) with around."""

    def __init__(self, around: Around, methods: Collection[str] = PROVIDER_METHODS) -> None:
        unknown = sorted(set(methods) - set(PROVIDER_METHODS))
        if unknown:
            raise ValueError(f"not provider methods: {', '.join(unknown)}")
        for method in METHODS:
            if method.name in methods:
                setattr(self, method.name, _wrapper(method, around))


def _wrapper(method: Method, around: Around) -> Callable[..., Any]:
    argnames = method.argnames

    def wrapper(provider: str, *args: Any) -> Generator[None, Any, Any]:
        return (yield from around(provider, method.name, dict(zip(argnames, args, strict=True))))

    return hookimpl(wrapper=True)(hook_function(method, wrapper, generator=True))


def observe_outcome(report: Callable[[str], None]) -> Generator[None, Any, Any]:
    """The body of a wrapper that only watches: `return (yield from observe_outcome(report))`.

    report(outcome) runs when the call ends, with "ok" or the ProviderError's code. Anything else (an inner
    wrapper's bug, KeyboardInterrupt) is reported INTERNAL, as the core would classify it.
    """
    outcome = "INTERNAL"
    try:
        result = yield
        outcome = "ok"
        return result
    except ProviderError as exc:
        outcome = exc.code.value
        raise
    finally:
        report(outcome)
