"""Property tests over the value types: any input is accepted or refused with a ValueError naming the
field; never a TypeError or AttributeError from inside a converter, never a lone surrogate let through."""

from __future__ import annotations

import math
from typing import Any

import attrs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from provider_core import (
    BootstrapConfig,
    BootstrapScript,
    HeartbeatTask,
    ListFilter,
    NetworkConfig,
    SpawnOptions,
    SpotPrice,
    VolumeAttachment,
)

# Values of every kind a caller could pass by mistake.
ANYTHING = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=20),
    st.binary(max_size=8),
    st.lists(st.one_of(st.integers(), st.text(max_size=5), st.none()), max_size=3),
    st.dictionaries(
        st.one_of(st.text(max_size=5), st.integers()),
        st.one_of(st.text(max_size=5), st.integers()),
        max_size=3,
    ),
    st.just(object()),
    st.sampled_from(["\ud800", "a\x00b", "x\r\nInjected: 1", "é"]),
)
VALID: dict[type, dict[str, Any]] = {
    SpawnOptions: {"name": "n", "instance_type": "t"},
    VolumeAttachment: {"volume_id": "v"},
    NetworkConfig: {},
    BootstrapScript: {"content": "echo", "format": "shell"},
    ListFilter: {},
    BootstrapConfig: {"control_plane_url": "https://cp.example", "instance_token": "tok-123456"},
    SpotPrice: {"instance_type": "t", "price_per_hour": 1.0},
    HeartbeatTask: {"kind": "reconcile"},
}
CASES = [(cls, field.name) for cls in VALID for field in attrs.fields(cls)]


@pytest.mark.parametrize(("cls", "name"), CASES, ids=[f"{c.__name__}.{n}" for c, n in CASES])
@settings(max_examples=25, deadline=None)
@given(value=ANYTHING)
def test_a_wrong_value_is_a_value_error_naming_the_field(cls: type, name: str, value: Any) -> None:
    refused: list[str] = []
    try:
        cls(**{**VALID[cls], name: value})
    except ValueError as exc:  # anything else (TypeError, AttributeError, UnicodeError) fails the test
        refused.append(str(exc))
    assert all(name in why or cls.__name__ in why or "not a valid" in why for why in refused), refused


def test_a_plain_string_of_key_names_is_refused_not_split() -> None:
    with pytest.raises(ValueError, match="ssh_key_names"):
        SpawnOptions(name="n", instance_type="t", ssh_key_names="my-key")
    assert SpawnOptions(name="n", instance_type="t", ssh_key_names=("my-key",)).ssh_key_names == ("my-key",)


@pytest.mark.parametrize("price", [-1.0, 0.0, math.nan, math.inf])
def test_a_spot_price_that_is_no_price_is_refused(price: float) -> None:
    with pytest.raises(ValueError, match="price_per_hour"):
        SpotPrice("t", price)
    with pytest.raises(ValueError, match="max_price_per_hour"):
        SpawnOptions(name="n", instance_type="t", spot=True, max_price_per_hour=price)


@pytest.mark.parametrize("token", ["tok\r\nX-Injected: 1", "tok\nmore", "tok en", "tok\x1b"])
def test_a_token_with_control_characters_is_refused_without_showing_it(token: str) -> None:
    with pytest.raises(ValueError, match="instance_token") as caught:
        BootstrapConfig(control_plane_url="https://cp.example", instance_token=token)
    assert token not in str(caught.value)


def test_a_lone_surrogate_is_refused_where_text_is_expected() -> None:
    with pytest.raises(ValueError, match="name"):
        SpawnOptions(name="\ud800", instance_type="t")
    with pytest.raises(ValueError, match="tags"):
        SpawnOptions(name="n", instance_type="t", tags={"k": "\udfff"})
