"""Typed settings owned by the core: explicit value, then environment, then default; validated once."""

from __future__ import annotations

from typing import Any

import pytest
from attrs import frozen

from provider_core.author import UnknownSetting, declared_settings, parsers, resolve_settings, setting


@frozen
class Demo:
    api_key: str | None = setting(None, env="DEMO_KEY", secret=True, description="the key")
    base_url: str = setting("https://api.example", env="DEMO_URL", parse=parsers.url)
    timeout: float = setting(30.0, parse=parsers.positive_seconds)
    regions: tuple[str, ...] = setting((), parse=parsers.names)
    verbose: bool = setting(False, env="DEMO_VERBOSE", parse=parsers.flag)
    retries: int = setting(3, parse=parsers.count)
    region: str | None = setting(None, env="SDK_REGION", sdk_env=True)


def _resolve(given: dict[str, Any], environ: dict[str, str] | None = None) -> Demo:
    return resolve_settings(Demo, given, provider="demo", environ=environ or {})


def test_explicit_beats_environment_beats_default() -> None:
    assert _resolve({}).base_url == "https://api.example"
    assert _resolve({}, {"DEMO_URL": "http://env:1"}).base_url == "http://env:1"
    assert _resolve({"base_url": "http://given"}, {"DEMO_URL": "http://env:1"}).base_url == "http://given"
    # An empty variable counts as unset.
    assert _resolve({}, {"DEMO_URL": ""}).base_url == "https://api.example"


def test_text_from_the_environment_or_cli_is_parsed_to_the_declared_type() -> None:
    got = _resolve({"timeout": "2.5", "regions": "a, b,a", "retries": "4"}, {"DEMO_VERBOSE": "yes"})
    assert (got.timeout, got.regions, got.verbose, got.retries) == (2.5, ("a", "b"), True, 4)


def test_an_sdk_variable_is_documented_but_never_read_by_the_core() -> None:
    assert _resolve({}, {"SDK_REGION": "eu-west-1"}).region is None
    assert _resolve({"region": "eu-west-1"}).region == "eu-west-1"


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ({"timeout": "0"}, "setting 'timeout' of provider 'demo' is not valid: expected seconds > 0"),
        ({"timeout": "nan"}, "expected a finite number"),
        ({"timeout": True}, "expected a number, got bool"),
        ({"retries": 1.5}, "expected a whole number"),
        ({"verbose": "maybe"}, "expected true or false"),
        ({"base_url": "ftp://x"}, "must be an http(s) URL"),
        ({"base_url": "http://x:notaport"}, "setting 'base_url'"),
    ],
)
def test_a_bad_value_is_a_value_error_naming_the_setting(given: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match="setting '") as raised:
        _resolve(given)
    assert reason in str(raised.value)


def test_a_secret_is_never_shown_and_control_characters_are_refused() -> None:
    with pytest.raises(ValueError, match="setting 'api_key'") as raised:
        _resolve({"api_key": "sk-123456\r\nX-Evil: 1"})
    assert "sk-123456" not in str(raised.value)
    resolved = _resolve({"api_key": "sk-abcdef"})
    assert "sk-abcdef" not in repr(resolved)
    assert resolved.api_key == "sk-abcdef"


def test_unknown_names_are_rejected_with_the_known_ones() -> None:
    with pytest.raises(UnknownSetting, match=r"unknown setting.*regoin; known: api_key, base_url"):
        _resolve({"regoin": "x"})


def test_declared_settings_describe_every_field_in_order() -> None:
    declared = declared_settings(Demo)
    assert [s.name for s in declared][:3] == ["api_key", "base_url", "timeout"]
    assert declared[0].secret
    assert declared[0].env == "DEMO_KEY"
    assert declared[0].description == "the key"
    assert declared[-1].sdk_env
