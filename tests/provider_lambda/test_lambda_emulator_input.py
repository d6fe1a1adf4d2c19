"""The emulator answers malformed input the way the spec documents, over real HTTP, never by hanging up."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from provider_lambda.testing import DEFAULT_SSH_KEY, LambdaEmulator
from tests.provider_lambda.test_lambda_emulator import LAUNCH


def invalid_parameters(reply: httpx.Response) -> str:
    assert reply.status_code == 400, reply.text
    error: dict[str, str] = reply.json()["error"]
    assert error["code"] == "global/invalid-parameters"
    return error["message"]


@pytest.mark.invalid_requests
@pytest.mark.parametrize(
    "change",
    [
        {"region_name": {"name": "us-west-1"}},
        {"region_name": ["us-west-1"]},
        {"ssh_key_names": [{"name": DEFAULT_SSH_KEY}]},
        {"ssh_key_names": [[DEFAULT_SSH_KEY]]},
        {"instance_type_name": {"name": "gpu_1x_a10"}},
        {"image": "lambda-stack"},
        {"image": {"family": 7}},
    ],
    ids=["region-object", "region-list", "key-object", "key-list", "type-object", "image-str", "image-int"],
)
def test_launch_with_wrong_types_is_a_400(
    http: httpx.Client, emulator: LambdaEmulator, change: dict[str, Any]
) -> None:
    invalid_parameters(http.post("/instance-operations/launch", json={**LAUNCH, **change}))
    assert emulator.launches == 0


def test_launch_takes_both_image_forms(http: httpx.Client, emulator: LambdaEmulator) -> None:
    for image in ({"family": "lambda-stack-22-04"}, {"id": "0123456789abcdef"}):
        assert http.post("/instance-operations/launch", json={**LAUNCH, "image": image}).status_code == 200
    assert emulator.launches == 2


@pytest.mark.invalid_requests
def test_add_key_with_a_null_public_key_is_a_400(http: httpx.Client, emulator: LambdaEmulator) -> None:
    # public_key is optional, but a string when present: null does not ask for a generated pair.
    message = invalid_parameters(http.post("/ssh-keys", json={"name": "k", "public_key": None}))
    assert "public_key" in message
    generated = http.post("/ssh-keys", json={"name": "k"})
    assert generated.status_code == 200
    assert "private_key" in generated.json()["data"]


@pytest.mark.invalid_requests
@pytest.mark.parametrize("body", [{}, {"instance_ids": [7]}, {"instance_ids": "abc"}, None])
def test_terminate_errors_use_a_documented_answer(http: httpx.Client, body: object) -> None:
    # terminateInstance documents 200, 401, 403 and 404: a body that names no instance is a 404 with
    # the ApiErrorInstanceNotFound shape, never an undocumented 400 (the fixture validates it).
    reply = http.post("/instance-operations/terminate", json=body)
    assert reply.status_code == 404
    assert reply.json()["error"]["code"] == "global/object-does-not-exist"
