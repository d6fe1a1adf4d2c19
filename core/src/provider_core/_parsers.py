"""Parsers for provider settings: each takes text (environment, CLI) or a Python value (code) and returns
the typed value, raising TypeError or ValueError with a reason (the core adds the setting's name)."""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit


def text(value: Any) -> str:
    if isinstance(value, os.PathLike):
        value = str(os.fspath(value))
    if not isinstance(value, str):
        raise TypeError(f"expected a string, got {type(value).__name__}")
    if "\x00" in value:
        raise ValueError("must not contain NUL")
    return value


def url(value: Any) -> str:
    """An http(s) URL with a host and no whitespace or control characters."""
    address = text(value)
    if any(c.isspace() or not c.isprintable() for c in address):
        raise ValueError(f"{address!r} contains whitespace or control characters")
    parts = urlsplit(address)
    parts.port  # noqa: B018 - parsing the port is the check (ValueError when it is not a number)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{address!r} must be an http(s) URL with a host")
    return address


def flag(value: Any) -> bool:
    """A boolean; from text, 1/true/yes/on and 0/false/no/off (anything else is refused, not guessed)."""
    if isinstance(value, bool):
        return value
    lowered = text(value).strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _number(value: Any) -> float:
    # True is an int to Python, but never a number anyone meant.
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"expected a finite number, got {value!r}")
    return number


def seconds(value: Any) -> float:
    """A finite number of seconds >= 0."""
    number = _number(value)
    if number < 0:
        raise ValueError(f"expected seconds >= 0, got {value!r}")
    return number


def positive_seconds(value: Any) -> float:
    """A finite number of seconds > 0 (a timeout of 0 would abandon every call)."""
    number = seconds(value)
    if number == 0:
        raise ValueError("expected seconds > 0, got 0")
    return number


def count(value: Any) -> int:
    """A whole number >= 0; 1.5, True and inf are refused, not rounded."""
    number = _number(value)
    if not number.is_integer() or number < 0:
        raise ValueError(f"expected a whole number >= 0, got {value!r}")
    return int(number)


def names(value: Any) -> tuple[str, ...]:
    """A list of names from comma-separated text or a sequence; blanks and repeats dropped."""
    items = text(value).split(",") if isinstance(value, str) else [text(v) for v in value]
    return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def json_object(value: Any) -> dict[str, Any]:
    raw = json.loads(value) if isinstance(value, str) else value
    if not isinstance(raw, Mapping):
        raise TypeError(f"expected a JSON object, got {type(raw).__name__}")
    return dict(raw)
