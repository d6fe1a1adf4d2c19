"""attrs validators that fail with a ValueError naming the class and field, never a deep traceback."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

import attrs

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _fail(inst: Any, attribute: attrs.Attribute[Any], why: str, value: Any) -> None:
    # Fields that hold secrets are repr=False; their values never appear in the message either.
    got = f", got {value!r}" if attribute.repr else ""
    raise ValueError(f"{type(inst).__name__}.{attribute.name} {why}{got}")


def text(*, optional: bool = False, pattern: str | None = None, max_len: int = 4096) -> Validator:
    """A non-empty string without NUL, optionally matching pattern."""
    compiled = re.compile(pattern) if pattern else None

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not value:
            _fail(inst, attribute, "must be a non-empty string", value)
        if "\x00" in value or len(value) > max_len:
            _fail(inst, attribute, f"must be at most {max_len} characters without NUL", value)
        if compiled is not None and not compiled.fullmatch(value):
            _fail(inst, attribute, f"must match {pattern}", value)

    return check


def string_map(*, key_pattern: str | None = None) -> Validator:
    """A mapping of non-NUL strings to non-NUL strings, keys optionally matching key_pattern."""
    compiled = re.compile(key_pattern) if key_pattern else None

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not isinstance(value, Mapping):
            _fail(inst, attribute, "must be a mapping of strings to strings", value)
        for key, item in value.items():
            if not isinstance(key, str) or not isinstance(item, str) or "\x00" in key + item:
                _fail(inst, attribute, "must map strings to strings (no NUL)", {key: item})
            if compiled is not None and not compiled.fullmatch(key):
                _fail(inst, attribute, f"keys must match {key_pattern}", key)

    return check


def positive(*, optional: bool = False, whole: bool = False) -> Validator:
    """A number above zero; `whole` asks for an int (counts, sizes, attempts)."""
    kinds = int if whole else int | float
    what = "a positive whole number" if whole else "a positive number"

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, kinds) or not value > 0:
            _fail(inst, attribute, f"must be {what}", value)

    return check


def of_type(kind: type | tuple[type, ...], *, optional: bool = False) -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
            _fail(inst, attribute, f"must be {names}", value)

    return check


def items_of(kind: type) -> Validator:
    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if not all(isinstance(item, kind) for item in value):
            _fail(inst, attribute, f"must contain only {kind.__name__}", value)

    return check
