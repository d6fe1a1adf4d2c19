"""The emulator against the published spec: every operation, every error it can send, clean shutdown."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time

import httpx
import pytest
from openapi_core.validation.request.exceptions import InvalidRequestBody, SecurityValidationError
from openapi_core.validation.response.exceptions import InvalidData
from openapi_spec_validator import validate as validate_document

from provider_lambda.testing import DEFAULT_SSH_KEY, Exchange, LambdaEmulator
from provider_lambda.testing._wire import ROUTES
from tests.provider_lambda import spec

needs_spec = pytest.mark.skipif(
    not spec.spec_available(),
    reason=f"the Lambda OpenAPI document is not at {spec.SPEC_PATH} (it lives outside the project)",
)

LAUNCH = {"region_name": "us-west-1", "instance_type_name": "gpu_1x_a10", "ssh_key_names": [DEFAULT_SSH_KEY]}


@needs_spec
def test_the_document_is_valid_openapi() -> None:
    validate_document(spec.document())


@needs_spec
def test_every_emulated_route_is_a_spec_operation() -> None:
    operations = {
        op["operationId"]: (method.upper(), path)
        for path, ops in spec.document()["paths"].items()
        for method, op in ops.items()
        if isinstance(op, dict) and "operationId" in op
    }
    for method, pattern, operation in ROUTES:
        spec_method, spec_path = operations[operation]
        assert spec_method == method
        assert pattern.fullmatch(spec_path.removeprefix("/api/v1").replace("{id}", "x"))


def test_a_session_over_every_operation_and_error(http: httpx.Client, emulator: LambdaEmulator) -> None:
    """Each answer is validated by the emulator fixture; here we check the answers are the right ones."""
    assert http.get("/instance-types").status_code == 200
    launched = http.post(
        "/instance-operations/launch", json={**LAUNCH, "name": "a", "tags": [{"key": "k1", "value": "v"}]}
    )
    [instance_id] = launched.json()["data"]["instance_ids"]
    assert http.get("/instances").json()["data"][0]["id"] == instance_id
    assert http.get(f"/instances/{instance_id}").json()["data"]["status"] == "active"
    emulator.set_status(instance_id, "booting")
    assert "ip" not in http.get(f"/instances/{instance_id}").json()["data"]
    assert http.get("/ssh-keys").json()["data"][0]["name"] == DEFAULT_SSH_KEY
    added = http.post("/ssh-keys", json={"name": "mine", "public_key": "ssh-ed25519 AAAA mine"}).json()[
        "data"
    ]
    generated = http.post("/ssh-keys", json={"name": "gen"}).json()["data"]
    assert "private_key" in generated
    assert http.delete(f"/ssh-keys/{added['id']}").json() == {"data": {}}
    expected_errors = [
        (http.delete("/ssh-keys/nope"), 400, "global/invalid-parameters"),
        (
            http.post("/instance-operations/launch", json={**LAUNCH, "instance_type_name": "gpu_9x"}),
            400,
            "global/invalid-parameters",
        ),
        (
            http.post("/instance-operations/launch", json={**LAUNCH, "ssh_key_names": ["nope"]}),
            404,
            "global/object-does-not-exist",
        ),
        (
            http.post("/instance-operations/launch", json={**LAUNCH, "region_name": "us-south-1"}),
            400,
            "instance-operations/launch/insufficient-capacity",
        ),
        (http.get("/instances/nope"), 404, "global/object-does-not-exist"),
        (
            http.post("/instance-operations/terminate", json={"instance_ids": ["nope"]}),
            404,
            "global/object-does-not-exist",
        ),
        (http.get("/instances", headers={"Authorization": "Bearer wrong"}), 401, "global/invalid-api-key"),
    ]
    emulator.quota = 1
    expected_errors.append(
        (http.post("/instance-operations/launch", json=LAUNCH), 400, "global/quota-exceeded")
    )
    emulator.account_inactive = True
    expected_errors.append((http.get("/instance-types"), 403, "global/account-inactive"))
    emulator.account_inactive = False
    emulator.throttle("3")
    expected_errors.append((http.get("/instances"), 429, "global/too-many-requests"))
    emulator.fail(500)
    expected_errors.append((http.get("/instances"), 500, "global/internal-error"))
    emulator.fail(503, "provider/internal-unavailable")
    expected_errors.append((http.get("/ssh-keys"), 503, "provider/internal-unavailable"))
    for response, status, code in expected_errors:
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert expected_errors[-3][0].headers["Retry-After"] == "3"
    terminated = http.post("/instance-operations/terminate", json={"instance_ids": [instance_id]}).json()
    assert terminated["data"]["terminated_instances"][0]["status"] == "terminating"
    basic = base64.b64encode(f"{emulator.api_key}:".encode()).decode()
    assert http.get("/instances", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    assert len(emulator.exchanges) == 23


@pytest.mark.invalid_requests
def test_invalid_launch_bodies_get_invalid_parameters(http: httpx.Client) -> None:
    bad = [
        {**LAUNCH, "region_name": "mars-1"},
        {**LAUNCH, "tags": [{"key": "Bad Key", "value": "v"}]},
        {**LAUNCH, "name": "n" * 65},
        {**LAUNCH, "ssh_key_names": []},
        {k: v for k, v in LAUNCH.items() if k != "ssh_key_names"},
    ]
    for body in bad:
        response = http.post("/instance-operations/launch", json=body)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "global/invalid-parameters")
    response = http.post("/instance-operations/launch", content=b"not json")
    assert response.status_code == 400


def _exchange(target: str, status: int, data: object, body: bytes = b"", method: str = "GET") -> Exchange:
    return Exchange(
        method,
        target,
        {"Authorization": "Bearer k", "Content-Type": "application/json"},
        body,
        status,
        {"Content-Type": "application/json"},
        json.dumps(data).encode(),
    )


@needs_spec
def test_the_validation_rejects_what_the_spec_forbids() -> None:
    """The checks above can fail: tampered answers and bad requests are caught."""
    missing_actions = {
        "data": [{"id": "x", "status": "active", "ssh_key_names": [], "file_system_names": []}]
    }
    with pytest.raises(InvalidData):
        spec.checker().check_response(_exchange("/api/v1/instances", 200, missing_actions))
    with pytest.raises(InvalidData):
        spec.checker().check_response(
            _exchange("/api/v1/instances/x", 404, {"error": {"code": "nope", "message": "m"}})
        )
    bad_tag = json.dumps({**LAUNCH, "tags": [{"key": "Bad Key", "value": "v"}]}).encode()
    with pytest.raises(InvalidRequestBody):
        spec.checker().check_request(
            _exchange("/api/v1/instance-operations/launch", 200, {}, bad_tag, "POST")
        )
    anonymous = Exchange("GET", "/api/v1/instances", {}, b"", 200, {}, b"")
    with pytest.raises(SecurityValidationError):
        spec.checker().check_request(anonymous)
    with pytest.raises(AssertionError):
        spec.checker().check_response(
            _exchange("/api/v1/instances", 418, {"error": {"code": "c", "message": "m"}})
        )


def _emulator_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "lambda-emulator" or "process_request" in t.name]


def test_stop_is_clean_with_open_connections_and_a_stalled_answer() -> None:
    before = set(threading.enumerate())
    emulator = LambdaEmulator().start()
    port = int(emulator.base_url.split(":")[2].split("/")[0])
    client = httpx.Client(base_url=emulator.base_url, headers={"Authorization": f"Bearer {emulator.api_key}"})
    assert client.get("/instances").status_code == 200  # leaves a keep-alive connection open
    emulator.latency = 60.0
    outcome: list[object] = []

    def stalled_call() -> None:
        try:
            outcome.append(client.get("/instances"))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    stalled = threading.Thread(target=stalled_call)
    stalled.start()
    deadline = time.monotonic() + 10
    while emulator.requests < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert emulator.requests == 2  # the second request is being held by the emulator
    emulator.stop()
    stalled.join(timeout=10)
    client.close()
    assert not stalled.is_alive()
    # The held request got no answer: the emulator dropped the connection when it stopped.
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.HTTPError)
    assert set(threading.enumerate()) - before == set()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))
