"""cattrs (un)structuring: project enhanced provider types back to the generic ones, and JSON views."""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

import attrs

if TYPE_CHECKING:
    from cattrs import Converter

T = TypeVar("T")
Copier = Callable[[object], Any]


@cache
def converter() -> Converter:
    # Imported on first use: discovery and `providers list` never need cattrs.
    from cattrs.preconf.json import make_converter

    return make_converter()


def slot_setter(cls: type, name: str) -> Callable[[Any, object], None]:
    """The setter of a slotted (frozen) class's field, bypassing a frozen __setattr__: slots are member
    descriptors, and setting through one is what the class's own __init__ does. Cheaper than
    object.__setattr__, which looks the name up first."""
    setter: Callable[[Any, object], None] = cls.__dict__[name].__set__
    return setter


def project(value: object, cls: type[T]) -> T:
    """Return value as exactly cls, dropping the fields a provider-specific subclass adds."""
    if type(value) is cls:
        return value
    if not isinstance(value, cls):
        raise TypeError(f"expected {cls.__name__}, got {type(value).__name__}")
    key = (type(value), cls)
    copy = _COPIERS.get(key, _UNKNOWN)
    if copy is _UNKNOWN:
        copy = _COPIERS[key] = _copier(*key)
    copied = None if copy is None else copy(value)
    if copied is not None:
        return copied  # type: ignore[no-any-return]
    # The round trip converts or rejects what the direct copy could not vouch for.
    return converter().structure(converter().unstructure(value, unstructure_as=cls), cls)


def _str_dict(value: object) -> bool:
    # map/set run in C: a listing checks the tags of every instance.
    return type(value) is dict and set(map(type, value)) <= _STR and set(map(type, value.values())) <= _STR


_STR = {str}
_UNKNOWN: Any = object()
# (subclass, generic class) -> its copier, or None for a pair only the round trip projects.
_COPIERS: dict[tuple[type, type], Copier | None] = {}


def _exact_types(hint: Any) -> frozenset[type] | None:
    """The types a value of this annotation may have and come out of the round trip unchanged."""
    if isinstance(hint, type) and hint is not typing.Any:
        return frozenset({hint})
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        members = [_exact_types(arg) for arg in typing.get_args(hint)]
        return None if any(m is None for m in members) else frozenset().union(*members)  # type: ignore[arg-type]
    return None


def _copier(source: type, cls: type) -> Copier | None:
    """A direct field copy from an instance of subclass `source` to `cls`, or None when only the cattrs
    round trip (datetime -> str -> datetime: most of a large listing's time) can do it.

    A field is copied as it is when the subclass inherited it unchanged, so its validator and converter
    already ran, or when its value has exactly a type the annotation allows; the copier answers None for
    a value it cannot vouch for, and project() falls back to the round trip, which converts or rejects it.
    Generated code, as attrs and cattrs generate theirs: a loop over fields costs twice as much.
    """
    if not (attrs.has(cls) and attrs.has(source)) or "__slots__" not in cls.__dict__:
        return None
    if hasattr(cls, "__attrs_post_init__"):
        return None
    theirs = {a.name: a for a in attrs.fields(source)}
    hints = typing.get_type_hints(cls)
    namespace: dict[str, Any] = {"_new": object.__new__, "_cls": cls, "_str_dict": _str_dict}
    checks, sets = [], []
    for n, field in enumerate(attrs.fields(cls)):
        inherited = theirs.get(field.name)
        if inherited is None or not inherited.inherited:
            return None
        get = f"value.{field.name}"
        if field.validator is None:
            hint = hints[field.name]
            if typing.get_origin(hint) in (Mapping, dict) and typing.get_args(hint) == (str, str):
                checks.append(f"not _str_dict({get})")
            else:
                allowed = _exact_types(hint)
                if allowed is None:
                    return None
                namespace[f"_types{n}"] = allowed
                checks.append(f"type({get}) not in _types{n}")
        namespace[f"_set{n}"] = slot_setter(cls, field.name)
        sets.append(f"    _set{n}(new, {get})")
    source_code = "\n".join(
        [
            "def copy(value):",
            f"    if {' or '.join(checks) or 'False'}:",
            "        return None",
            "    new = _new(_cls)",
            *sets,
            "    return new",
        ]
    )
    exec(compile(source_code, f"<provider_core projection {source.__qualname__}>", "exec"), namespace)  # noqa: S102
    copy: Copier = namespace["copy"]
    return copy


def materialize(value: object, cls: type[T], **extra: Any) -> T:
    """Build a provider-specific subclass from a generic value plus the fields only it has."""
    data = converter().unstructure(value, unstructure_as=type(value))
    data.update(converter().unstructure(extra))
    return converter().structure(data, cls)


def to_jsonable(value: object) -> Any:
    """Plain JSON-ready data (enums as values, datetimes as ISO 8601) for CLIs and logs."""
    return converter().unstructure(value)
