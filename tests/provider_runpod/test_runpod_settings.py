"""Settings that cannot work are refused by the core when the provider is built: a ValueError naming the
setting, never showing a secret or a URL (which may carry credentials)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

import provider_core
from provider_core.author import resolve_settings
from provider_runpod import RunPodProvider, RunPodSettings, registration
from provider_runpod._settings import DEFAULT_BASE_URL, DEFAULT_GRAPHQL_URL, DEFAULT_TIMEOUT


def resolve(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> RunPodSettings:
    return resolve_settings(RunPodSettings, given, provider="runpod", environ=environ or {})


def refused(given: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> ValueError:
    with pytest.raises(ValueError, match="of provider 'runpod' is not valid") as caught:
        resolve(given, environ)
    return caught.value


BAD_URLS = [
    "http://[::1",
    "ftp://example.com",
    "not a url",
    "http://xn--/",
    "http://h:99999",
    "http://h:0",
    "http://a\x7fb/",
]


@pytest.mark.parametrize("setting", ["base_url", "graphql_url"])
@pytest.mark.parametrize("url", BAD_URLS)
def test_an_unusable_url_is_refused_naming_the_setting(setting: str, url: str) -> None:
    error = refused({"api_key": "k", setting: url})
    assert f"setting '{setting}' of provider 'runpod'" in str(error)


def test_an_unusable_url_from_the_environment_names_the_setting() -> None:
    error = refused({"api_key": "k"}, environ={"RUNPOD_API_URL": "http://[::1"})
    assert "base_url" in str(error)


def test_a_bad_url_is_not_echoed() -> None:
    for url in ("http://me:hunter2@[::1/v2", "ftp://me:hunter2@example.com/v2"):
        error = refused({"api_key": "k", "base_url": url})
        assert "hunter2" not in str(error)


@pytest.mark.parametrize("timeout", ["abc", "nan", float("inf"), 0, -1, True, [1]])
def test_a_bad_timeout_is_refused(timeout: object) -> None:
    assert "timeout" in str(refused({"api_key": "k", "timeout": timeout}))


def test_an_unset_timeout_is_the_default() -> None:
    # None means "not given" to the core (then the environment, then the default), not a bad value.
    assert resolve({"timeout": None}).timeout == DEFAULT_TIMEOUT


def test_a_timeout_given_as_text_is_read() -> None:
    settings = resolve({"api_key": "k", "timeout": "12.5"})
    assert settings.timeout == 12.5
    assert RunPodProvider(settings).settings.timeout == 12.5


def test_explicit_values_win_over_the_environment_then_defaults() -> None:
    environ = {"RUNPOD_API_KEY": "rpa_FROM_ENV", "RUNPOD_GRAPHQL_URL": "http://gql.example/graphql"}
    settings = resolve({"base_url": "http://rest.example/v2"}, environ)
    assert (settings.api_key, settings.base_url) == ("rpa_FROM_ENV", "http://rest.example/v2")
    assert settings.graphql_url == "http://gql.example/graphql"
    defaults = resolve({})
    assert (defaults.api_key, defaults.base_url, defaults.graphql_url) == (
        None,
        DEFAULT_BASE_URL,
        DEFAULT_GRAPHQL_URL,
    )


def test_a_key_with_spaces_is_refused_without_showing_it() -> None:
    error = refused({"api_key": "rpa_SECRET VALUE"})
    assert "api_key" in str(error)
    assert "rpa_SECRET" not in str(error)


def test_the_key_is_a_secret_setting_hidden_from_repr() -> None:
    (key,) = [s for s in registration.declared_settings() if s.name == "api_key"]
    assert (key.secret, key.env) == (True, "RUNPOD_API_KEY")
    assert "rpa_SECRET_VALUE" not in repr(resolve({"api_key": "rpa_SECRET_VALUE"}))


def test_a_bad_setting_through_the_core_is_a_value_error() -> None:
    handle = provider_core.discover().get("runpod", api_key="k", base_url="http://[::1")
    try:
        with pytest.raises(ValueError, match="of provider 'runpod' is not valid") as caught:
            handle.list_instances()
    finally:
        handle.close()
    assert "base_url" in str(caught.value)
    assert not handle.built


def test_an_unknown_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="region"):
        provider_core.discover().get("runpod", region="US-TX-3")
