"""build_instance: the constructor's result and errors, without its per-field calls for plain values;
gc_paused: the collector paused while any thread builds, and left as the application had it."""

from __future__ import annotations

import gc
import inspect
import threading
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from provider_core import InstanceStatus, ProviderInstance
from provider_core.author import MANAGED_TAG, build_instance, gc_paused

PLAIN = {
    "id": "orb-1",
    "status": InstanceStatus.RUNNING,
    "provider": "orbstack",
    "name": "web",
    "region": "local",
    "created_at": datetime(2026, 1, 2, tzinfo=UTC),
    "tags": {MANAGED_TAG: "true"},
}
texts = st.one_of(
    st.text(max_size=8),
    st.sampled_from(["", "a\x00b", "é", "\ud800", "x" * 4097, "x" * 4096]),
    st.integers(),
    st.none(),
)
arguments = st.fixed_dictionaries(
    {
        "id": texts,
        "status": st.one_of(st.sampled_from(list(InstanceStatus)), st.sampled_from(["running", "nope", 3])),
        "provider": texts,
        "tags": st.one_of(
            st.none(),
            st.dictionaries(st.text(max_size=3), st.text(max_size=3), max_size=2),
            st.builds(MappingProxyType, st.dictionaries(st.text(max_size=3), st.text(max_size=3))),
            st.just([("k", "v")]),
            st.just("k=v"),
        ),
    },
    optional={"name": texts, "spot": st.booleans(), "spot_interrupted": st.booleans()},
)


def _outcome(make: Any, kwargs: dict[str, Any]) -> object:
    try:
        return make(**kwargs)
    except ValueError as exc:
        return ("ValueError", str(exc))


@given(arguments)
def test_the_same_result_or_the_same_error_as_the_constructor(kwargs: dict[str, Any]) -> None:
    built = _outcome(build_instance, kwargs)
    assert built == _outcome(ProviderInstance, kwargs)
    if isinstance(built, ProviderInstance):
        assert type(built) is ProviderInstance
        assert type(built.tags) is dict
        assert built.tags is not kwargs["tags"]  # a copy: instances never share a caller's dict


@pytest.mark.parametrize(
    "change",
    [
        {"id": ""},
        {"id": "a\x00b"},
        {"id": "x" * 4097},
        {"id": "\ud800"},
        {"id": 7},
        {"provider": ""},
        {"provider": "a\x00b"},
        {"provider": "x" * 4097},
        {"provider": "\udfff"},
        {"provider": None},
        {"status": "running"},
        {"status": "nope"},
        {"tags": [("k", "v")]},
        {"tags": MappingProxyType({"k": "v"})},
        {"id": "é", "provider": "ü"},
    ],
)
def test_one_unusual_value_gets_what_the_constructor_gives(change: dict[str, Any]) -> None:
    kwargs = {**PLAIN, **change}
    assert _outcome(build_instance, kwargs) == _outcome(ProviderInstance, kwargs)


def test_the_signature_is_the_constructors() -> None:
    """A field added to ProviderInstance must reach build_instance too."""
    parameters = inspect.signature(build_instance).parameters
    fields = attrs.fields(ProviderInstance)
    assert list(parameters) == [f.name for f in fields]
    for f in fields:
        default = parameters[f.name].default
        if f.default is attrs.NOTHING:
            assert default is inspect.Parameter.empty
        elif isinstance(f.default, attrs.Factory):  # type: ignore[arg-type]
            assert default is None  # tags: None becomes a fresh dict, as the factory gives
        else:
            assert default == f.default


def test_plain_values_skip_the_constructor(monkeypatch: pytest.MonkeyPatch) -> None:
    def constructor(*args: object, **kwargs: object) -> None:
        raise AssertionError("the constructor ran for plain values")

    monkeypatch.setattr(ProviderInstance, "__init__", constructor)
    built = build_instance(**PLAIN)  # type: ignore[arg-type]
    assert (built.id, built.status, built.tags, built.spot) == (
        "orb-1",
        InstanceStatus.RUNNING,
        PLAIN["tags"],
        False,
    )
    with pytest.raises(AssertionError, match="constructor ran"):
        build_instance(**{**PLAIN, "status": "running"})  # type: ignore[arg-type]


def test_a_fresh_dict_for_missing_tags() -> None:
    first = build_instance("a", InstanceStatus.PENDING, "p")
    second = build_instance("b", InstanceStatus.PENDING, "p")
    assert first.tags == {}
    assert first.tags is not second.tags


def test_gc_paused_pauses_the_collector_until_the_last_pauser_leaves() -> None:
    assert gc.isenabled()
    inner_left = threading.Event()
    outer_may_leave = threading.Event()
    seen: list[bool] = []

    def other_thread() -> None:
        with gc_paused():
            seen.append(gc.isenabled())
        inner_left.set()
        outer_may_leave.wait()

    with gc_paused():
        seen.append(gc.isenabled())
        thread = threading.Thread(target=other_thread)
        thread.start()
        inner_left.wait()
        seen.append(gc.isenabled())  # the other thread left first: still paused for this one
        outer_may_leave.set()
    thread.join()
    assert seen == [False, False, False]
    assert gc.isenabled()


def test_gc_paused_resumes_after_an_error_and_keeps_an_application_choice() -> None:
    with pytest.raises(RuntimeError), gc_paused():
        raise RuntimeError("a row the provider could not read")
    assert gc.isenabled()
    gc.disable()
    try:
        with gc_paused():
            pass
        assert not gc.isenabled()  # the application turned it off: it stays off
    finally:
        gc.enable()
