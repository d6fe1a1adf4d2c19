"""project(): a provider's subclass back to exactly the generic type, directly when the values allow it."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from attrs import field, frozen

from provider_core import InstanceStatus, ProviderInstance
from provider_core._convert import converter, project
from provider_core.author import MANAGED_TAG


@frozen
class Enhanced(ProviderInstance):
    zone: str | None = None


def _text(value: object) -> str | None:
    return None if value is None else str(value)


@frozen
class Redefined(ProviderInstance):
    # Redefines an inherited field: its own rules, not the generic ones, ran when it was built.
    name: str | None = field(default=None, converter=_text)


def enhanced(**overrides: object) -> Enhanced:
    fields: dict[str, object] = {
        "id": "i-1",
        "status": "running",
        "provider": "test",
        "name": "web",
        "created_at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "tags": {MANAGED_TAG: "true"},
        "zone": "z-1",
        **overrides,
    }
    return Enhanced(**fields)  # type: ignore[arg-type]


def round_trip(value: object) -> ProviderInstance:
    c = converter()
    return c.structure(c.unstructure(value, unstructure_as=ProviderInstance), ProviderInstance)


def test_the_direct_copy_equals_the_round_trip() -> None:
    value = enhanced()
    projected = project(value, ProviderInstance)
    assert type(projected) is ProviderInstance
    assert projected == round_trip(value)
    assert projected.created_at == value.created_at


@pytest.mark.parametrize(
    "odd",
    [
        {"tags": {MANAGED_TAG: "true", "count": 3}},  # a tag value that is not a string
        {"spot": 1},  # an int where a bool belongs
    ],
)
def test_values_the_copy_cannot_vouch_for_take_the_round_trip(odd: dict[str, object]) -> None:
    value = enhanced(**odd)
    projected = project(value, ProviderInstance)
    assert type(projected) is ProviderInstance
    assert projected == round_trip(value)


def test_a_redefined_field_takes_the_round_trip() -> None:
    value = Redefined(id="i-2", status=InstanceStatus.RUNNING, provider="test", name=7)
    projected = project(value, ProviderInstance)
    assert type(projected) is ProviderInstance
    assert projected.name == "7"


def test_what_the_round_trip_rejects_is_still_rejected() -> None:
    value = enhanced(created_at="2026-01-02T03:04:05+00:00")  # a string where a datetime belongs
    with pytest.raises(Exception) as expected:  # noqa: PT011 (whatever the round trip raises)
        round_trip(value)
    with pytest.raises(expected.type):
        project(value, ProviderInstance)


def test_the_generic_type_itself_is_returned_as_it_is() -> None:
    value = ProviderInstance(id="i-3", status=InstanceStatus.PENDING, provider="test")
    assert project(value, ProviderInstance) is value
    with pytest.raises(TypeError):
        project("i-3", ProviderInstance)


def test_well_typed_values_never_take_the_string_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    # The round trip (datetime -> str -> datetime) was most of a large listing's time.
    project(enhanced(), ProviderInstance)  # the copier for this pair is built on first use

    def no_round_trip() -> None:
        raise AssertionError("the cattrs round trip ran")

    monkeypatch.setattr("provider_core._convert.converter", no_round_trip)
    assert project(enhanced(name="other"), ProviderInstance).name == "other"
