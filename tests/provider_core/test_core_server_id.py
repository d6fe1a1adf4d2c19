"""An id a server answers with is server data: garbage is UNAVAILABLE, never the caller's INVALID_SPEC.

Found by the malformed-answer property test (RunPod's podRentInterruptable answering a lone surrogate)."""

from __future__ import annotations

import pytest

from provider_core import ErrorCode, ProviderError
from provider_core.author import path_segment, server_id


@pytest.mark.parametrize("value", ["\ud800emu00000000002", "", None, 7, "x" * 5000, "a\x00b"])
def test_garbage_ids_from_a_server_are_unavailable(value: object) -> None:
    with pytest.raises(ProviderError) as raised:
        server_id(value, "runpod", "podRentInterruptable")
    assert raised.value.code is ErrorCode.UNAVAILABLE
    assert "podRentInterruptable answered without a usable id" in raised.value.message


def test_a_good_id_passes_and_a_callers_bad_id_is_still_invalid_spec() -> None:
    assert server_id("pod-123", "runpod", "podRentInterruptable") == "pod-123"
    with pytest.raises(ProviderError) as raised:
        path_segment("\ud800", "runpod")
    assert raised.value.code is ErrorCode.INVALID_SPEC
