"""The API key goes in the Authorization header and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from provider_core import ErrorCode, ProviderError, SpawnOptions
from provider_runpod import RunPodProvider
from provider_runpod._errors import http_error
from provider_runpod.testing import Emulator


def test_key_is_a_bearer_header_never_in_urls(
    provider: RunPodProvider, emulator: Emulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider.spawn(SpawnOptions(name="s", instance_type="NVIDIA RTX A4000"))
    provider.get_spot_prices("NVIDIA RTX A4000")
    assert emulator.exchanges
    for exchange in emulator.exchanges:
        assert exchange.headers["Authorization"] == "Bearer ***"  # present (masked by the recorder)
        assert emulator.api_key not in exchange.path + exchange.query
        assert emulator.api_key.encode() not in exchange.body
    assert emulator.api_key not in caplog.text


def test_key_not_in_repr_or_errors(make_provider: Callable[..., RunPodProvider], emulator: Emulator) -> None:
    provider = make_provider(api_key="rpa_SECRET_VALUE")
    assert "rpa_SECRET_VALUE" not in repr(provider)
    with pytest.raises(ProviderError) as caught:
        provider.list_instances()
    assert caught.value.code is ErrorCode.AUTH_ERROR
    assert "rpa_SECRET_VALUE" not in str(caught.value) + repr(caught.value)
    assert "rpa_SECRET_VALUE" not in repr(provider.client)


def test_an_echoed_key_is_scrubbed() -> None:
    body = {"title": "Bad Request", "status": 400, "detail": "key rpa_SECRET is malformed"}
    error = http_error(400, body, what="createPod", secret="rpa_SECRET")
    assert "rpa_SECRET" not in str(error)
    assert "***" in str(error)


def test_handle_repr_hides_settings(emulator: Emulator) -> None:
    import provider_core

    handle = provider_core.discover().get("runpod", **emulator.settings)
    assert emulator.api_key not in repr(handle)
