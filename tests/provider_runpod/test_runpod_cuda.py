"""The emulator takes the spec's CUDA constraints on createPod (CreateGpuConfig) and honours them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from provider_runpod.testing import NO_CAPACITY, Emulator

BODY: dict[str, Any] = {"name": "p", "image": "img", "gpu": {"id": "NVIDIA RTX A4000", "count": 1}}


def create(emulator: Emulator, **gpu: Any) -> httpx.Response:
    headers = {"Authorization": f"Bearer {emulator.api_key}"}
    # In-process, past the HTTP server: the emulator is a WSGI app.
    with httpx.Client(transport=httpx.WSGITransport(app=emulator), headers=headers) as client:
        return client.post("http://runpod.test/v2/pods", json={**BODY, "gpu": {**BODY["gpu"], **gpu}})


@pytest.mark.parametrize(
    "gpu",
    [
        {"minCudaVersion": "12.1"},
        {"minCudaVersion": "12.8"},
        {"allowedCudaVersions": ["12.8", "12.6"]},
        {"allowedCudaVersions": [], "minCudaVersion": "12.1"},  # an explicit [] states no constraint
    ],
)
def test_spec_allowed_cuda_constraints_are_accepted(gpu: dict[str, Any]) -> None:
    reply = create(Emulator(), **gpu)
    assert reply.status_code == 201, reply.text
    assert reply.json()["gpu"]["id"] == BODY["gpu"]["id"]


@pytest.mark.parametrize(
    "gpu",
    [
        {"minCudaVersion": 12},
        {"minCudaVersion": "twelve"},
        {"allowedCudaVersions": "12.8"},
        {"allowedCudaVersions": [12.8]},
    ],
)
def test_malformed_cuda_constraints_break_the_contract(gpu: dict[str, Any]) -> None:
    reply = create(Emulator(), **gpu)
    assert reply.status_code == 422
    assert reply.headers["content-type"] == "application/problem+json"


def test_a_set_and_a_floor_together_are_a_cross_field_400() -> None:
    reply = create(Emulator(), allowedCudaVersions=["12.8"], minCudaVersion="12.1")
    assert reply.status_code == 400
    assert "mutually exclusive" in reply.json()["detail"]


@pytest.mark.parametrize("gpu", [{"allowedCudaVersions": ["11.8"]}, {"minCudaVersion": "12.11"}])
def test_a_version_no_host_reports_is_a_capacity_error(gpu: dict[str, Any]) -> None:
    # The spec: "a version no machine reports yields a capacity error"; 12.11 > 12.8 numerically.
    reply = create(Emulator(), **gpu)
    assert reply.status_code == 400
    assert reply.json()["detail"] == NO_CAPACITY
