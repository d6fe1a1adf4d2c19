"""cattrs (un)structuring: project enhanced provider types back to the generic ones, and JSON views."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import cache, partial
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from cattrs import Converter

T = TypeVar("T")


@cache
def converter() -> Converter:
    # Imported on first use: discovery and `providers list` never need cattrs.
    from cattrs.preconf.json import make_converter

    return make_converter()


def project(value: object, cls: type[T]) -> T:
    """Return value as exactly cls, dropping the fields a provider-specific subclass adds."""
    if type(value) is cls:
        return value
    if not isinstance(value, cls):
        raise TypeError(f"expected {cls.__name__}, got {type(value).__name__}")
    return converter().structure(converter().unstructure(value, unstructure_as=cls), cls)


def project_all(values: object, cls: type[T]) -> list[T]:
    """Project every item of a sequence; anything that is not a sequence is a TypeError."""
    if isinstance(values, str | bytes) or not isinstance(values, Sequence):
        raise TypeError(f"expected a sequence of {cls.__name__}, got {type(values).__name__}")
    return [project(item, cls) for item in values]


def exactly(cls: type[T]) -> Callable[[object], T]:
    return partial(project, cls=cls)


def each(cls: type[T]) -> Callable[[object], list[T]]:
    return partial(project_all, cls=cls)


def materialize(value: object, cls: type[T], **extra: Any) -> T:
    """Build a provider-specific subclass from a generic value plus the fields only it has."""
    data = converter().unstructure(value, unstructure_as=type(value))
    data.update(converter().unstructure(extra))
    return converter().structure(data, cls)


def to_jsonable(value: object) -> Any:
    """Plain JSON-ready data (enums as values, datetimes as ISO 8601) for CLIs and logs."""
    return converter().unstructure(value)
