"""Hypothesis strategies for what a broken or hostile server answers: arbitrary JSON, a real answer with
one field removed, retyped or made huge, deep nesting, invalid UTF-8, truncated documents."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["\ud800", "", "x" * 5000, "running", "terminated", "a/../b", "0"]),
)
JSON_VALUES = st.recursive(
    _SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
# Number literals json.dumps never writes but a server can.
_NUMBER_LITERALS = st.sampled_from(["1e400", "-1e400", "9" * 400, "1e-400", "NaN", "Infinity", "-0"])


def _paths(document: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(document, dict):
        for key, value in document.items():
            found += _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            found += _paths(value, (*prefix, index))
    return found


def _replace(document: Any, path: tuple[Any, ...], value: Any, *, delete: bool) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(document) if isinstance(document, dict) else list(document)
    if delete and not rest:
        del copy[head]
    else:
        copy[head] = _replace(copy[head], rest, value, delete=delete)
    return copy


@st.composite
def _mutated(draw: st.DrawFn, valid: bytes) -> bytes:
    """The valid answer with one value, anywhere in it, removed or replaced (by any JSON or a number
    literal that overflows a float or a 64-bit integer)."""
    document = json.loads(valid)
    path = draw(st.sampled_from(_paths(document)))
    if path and draw(st.booleans()):
        return json.dumps(_replace(document, path, None, delete=True)).encode()
    if draw(st.booleans()):
        marker = "\x00number\x00"
        text = json.dumps(_replace(document, path, marker, delete=False))
        return text.replace(json.dumps(marker), draw(_NUMBER_LITERALS)).encode()
    return json.dumps(_replace(document, path, draw(JSON_VALUES), delete=False)).encode()


@st.composite
def _damaged(draw: st.DrawFn, valid: bytes) -> bytes:
    """The valid answer cut short, or with bytes that are not UTF-8 spliced in."""
    cut = draw(st.integers(min_value=0, max_value=max(len(valid) - 1, 0)))
    if draw(st.booleans()):
        return valid[:cut]
    return valid[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"])) + valid[cut:]


def bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    """What a server could answer where `valid` (a real answer of the same call) was expected."""
    valid = valid or b"{}"  # an answer without a body (204) is mutated from an empty object
    return st.one_of(
        _mutated(valid),
        _mutated(valid),
        _damaged(valid),
        JSON_VALUES.map(lambda value: json.dumps(value).encode()),
        st.integers(min_value=1, max_value=200_000).map(lambda depth: b"[" * depth + b"]" * depth),
        st.sampled_from([b"", b"<html>502</html>", b"null", b'{"data": {"data": {}}}']),
        st.binary(max_size=64),
    )
