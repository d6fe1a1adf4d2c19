"""attrs validators that fail with a ValueError naming the class and field, never a deep traceback."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import attrs

Validator = Callable[[Any, "attrs.Attribute[Any]", Any], None]


def _fail(inst: Any, attribute: attrs.Attribute[Any], why: str, value: Any) -> None:
    # Fields that hold secrets are repr=False; their values never appear in the message either.
    got = f", got {value!r}" if attribute.repr else ""
    raise ValueError(f"{type(inst).__name__}.{attribute.name} {why}{got}")


MAX_TEXT = 4096


def text(
    *, optional: bool = False, pattern: str | None = None, max_len: int = MAX_TEXT, empty: bool = False
) -> Validator:
    """A non-empty (unless `empty`) string of Unicode text without NUL, optionally matching pattern."""
    compiled = re.compile(pattern) if pattern else None

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str) or not (value or empty):
            _fail(inst, attribute, "must be a non-empty string", value)
        if "\x00" in value or len(value) > max_len or not is_unicode(value):
            _fail(inst, attribute, f"must be at most {max_len} characters of text without NUL", value)
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
            if (
                not (isinstance(key, str) and isinstance(item, str))
                or "\x00" in key + item
                or not is_unicode(key + item)
            ):
                _fail(inst, attribute, "must map strings to strings (no NUL)", {key: item})
            if compiled is not None and not compiled.fullmatch(key):
                _fail(inst, attribute, f"keys must match {key_pattern}", key)

    return check


def positive(*, optional: bool = False, whole: bool = False) -> Validator:
    """A finite number above zero (NaN and inf are refused); `whole` asks for an int (counts, sizes)."""
    kinds = int if whole else int | float
    what = "a positive whole number" if whole else "a positive number"

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        if value is None and optional:
            return
        if isinstance(value, bool) or not isinstance(value, kinds) or not 0 < value < math.inf:
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


def token(*, optional: bool = False) -> Validator:
    """A secret that lands in a header or a file line: printable, no whitespace (a CR/LF would add lines)."""
    base = text(optional=optional)

    def check(inst: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
        base(inst, attribute, value)
        if value is not None and any(c.isspace() or not c.isprintable() for c in value):
            _fail(inst, attribute, "must not contain whitespace or control characters", value)

    return check


def is_unicode(value: str) -> bool:
    # A lone surrogate is not text: it fails later, deep inside whoever encodes it (JSON, a header).
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# Converters: they run before the validators and would raise TypeError or AttributeError on a wrong type.
# These raise ValueError naming the field instead (attrs does not tell a converter which field it serves).


def _refuse(where: str, why: str, value: Any) -> ValueError:
    return ValueError(f"{where} {why}, got {type(value).__name__}")


def to_str_map(where: str) -> Callable[[Any], dict[Any, Any]]:
    def convert(value: Any) -> dict[Any, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise _refuse(where, "must be a mapping of strings to strings", value)
        return dict(value)

    return convert


def to_tuple(where: str) -> Callable[[Any], tuple[Any, ...]]:
    """A list, tuple or other iterable as a tuple. A plain string is refused rather than split into
    one-letter items (`ssh_key_names="my-key"` is a mistake for `("my-key",)`)."""

    def convert(value: Any) -> tuple[Any, ...]:
        if isinstance(value, str | bytes) or not isinstance(value, Iterable) or isinstance(value, Mapping):
            raise _refuse(where, "must be a list or tuple (a single value goes in a one-item tuple)", value)
        return tuple(value)

    return convert
