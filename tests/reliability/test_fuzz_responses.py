"""Property tests over malformed answers from the HTTP providers' servers (Lambda, RunPod REST and GraphQL):
whatever the emulator's fault serves in place of the real answer, the call returns or raises a typed
ProviderError (UNAVAILABLE for garbage in a success answer), never another exception, never a hang."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import provider_core
from provider_core import ErrorCode, ProviderError, ProviderHandle, ProviderRegistry, SpawnOptions, SpotOps
from provider_core._config import CoreConfig
from provider_core.author import decode_json
from provider_core.testing.kit import EmulatorApp, Fault, Request
from provider_lambda._types import PUBLIC_REGIONS
from provider_lambda.testing import LambdaEmulator, settings_for
from provider_runpod.testing import Emulator as RunPodEmulator
from tests.reliability.malformed import bodies

pytestmark = pytest.mark.timeout(120)
INSTALLED = provider_core.discover()
EXAMPLES = int(os.environ.get("PROVIDER_CORE_FUZZ_EXAMPLES", 40))
STATUSES = st.one_of(st.just(200), st.sampled_from([201, 400, 401, 404, 409, 429, 500, 503]))
CONTENT_TYPES = st.sampled_from(["application/json", "application/problem+json", "text/html", ""])


@dataclass
class Target:
    """One provider on its emulator, retries off (every malformed answer must reach the caller)."""

    handle: ProviderHandle
    emulator: EmulatorApp
    spawn_options: SpawnOptions
    instance_id: str


def _target(name: str, emulator: EmulatorApp, settings: dict[str, Any]) -> Target:
    registry = ProviderRegistry(CoreConfig(retry=None))
    registry.add(INSTALLED.registration(name))
    handle = registry.get(name, **{**settings, "timeout": 2.0})
    profile = registry.registration(name).compliance
    assert profile is not None
    options = SpawnOptions(
        name="fuzz", instance_type=profile.instance_type, region=profile.region, image=profile.image
    )
    return Target(handle, emulator, options, instance_id="")


@pytest.fixture(scope="module")
def lambda_target() -> Iterator[Target]:
    with LambdaEmulator() as emulator:
        # Each example must reach the catalog, not the provider's few-second cache of it.
        target = _target("lambda", emulator, {**settings_for(emulator), "catalog_ttl": 0})
        yield target
        target.handle.close()


@pytest.fixture(scope="module")
def runpod_target() -> Iterator[Target]:
    with RunPodEmulator(boot_reads=0) as emulator:
        target = _target("runpod", emulator, emulator.settings)
        yield target
        target.handle.close()


Call = Callable[[Target], Any]
# What a well-formed answer can still mean: a catalog without the type asked for is INVALID_SPEC.
CATALOG = frozenset({ErrorCode.INVALID_SPEC})
# Lambda's instance types carry live regional capacity: a well-formed catalog in which the region asked
# for has none (a mutated region name) means CAPACITY_ERROR, as the real API's would.
CAPACITY_CATALOG = CATALOG | {ErrorCode.CAPACITY_ERROR}


@dataclass(frozen=True)
class Case:
    provider: str
    what: str
    method: str
    path: str  # a regular expression over the request path
    call: Call
    # Only requests whose body holds this (one GraphQL operation among several on one path).
    marker: bytes = b""
    meaning: frozenset[ErrorCode] = frozenset()

    def matches(self, request: Request) -> bool:
        return self.marker in request.body


CASES = [
    Case("lambda", "list", "GET", r"/api/v1/instances", lambda t: t.handle.list_instances()),
    Case("lambda", "get", "GET", r"/api/v1/instances/[^/]+", lambda t: t.handle.get_instance(t.instance_id)),
    Case("lambda", "spawn", "POST", r"/api/v1/instance-operations/launch",
         lambda t: t.handle.spawn(t.spawn_options)),
    Case("lambda", "terminate", "POST", r"/api/v1/instance-operations/terminate",
         lambda t: t.handle.terminate(t.instance_id)),
    Case("lambda", "instance-types", "GET", r"/api/v1/instance-types",
         lambda t: t.handle.spawn(t.spawn_options), meaning=CAPACITY_CATALOG),
    Case("runpod", "list", "GET", r"/v2/pods", lambda t: t.handle.list_instances()),
    Case("runpod", "get", "GET", r"/v2/pods/[^/]+", lambda t: t.handle.get_instance(t.instance_id)),
    Case("runpod", "spawn", "POST", r"/v2/pods", lambda t: t.handle.spawn(t.spawn_options)),
    Case("runpod", "terminate", "DELETE", r"/v2/pods/[^/]+", lambda t: t.handle.terminate(t.instance_id)),
    Case("runpod", "graphql-prices", "POST", r"/graphql",
         lambda t: _spot(t).prices(t.spawn_options.instance_type), marker=b"gpuTypes", meaning=CATALOG),
    Case("runpod", "graphql-spot", "POST", r"/graphql", lambda t: _spot(t).request(t.spawn_options, 1.0),
         marker=b"podRentInterruptable"),
]  # fmt: skip


def _spot(target: Target) -> SpotOps:
    assert target.handle.spot is not None
    return target.handle.spot


def _valid_answer(target: Target, case: Case) -> bytes:
    """A real answer of the emulator to the request the fault will answer (on an instance of its own:
    a capture of terminate ends it)."""
    target.instance_id = target.handle.spawn(target.spawn_options).id
    seen = len(target.emulator.exchanges)
    case.call(target)
    for exchange in target.emulator.exchanges[seen:]:
        same = exchange.method == case.method and re.fullmatch(case.path, exchange.path)
        if same and case.marker in exchange.body:
            return exchange.response_body
    raise AssertionError(f"{case.what}: no {case.method} {case.path} request was made")


@pytest.mark.parametrize("case", CASES, ids=[f"{c.provider}-{c.what}" for c in CASES])
def test_a_malformed_answer_is_a_typed_error(request: pytest.FixtureRequest, case: Case) -> None:
    target: Target = request.getfixturevalue(f"{case.provider}_target")
    valid = _valid_answer(target, case)

    @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
    @given(body=bodies(valid), status=STATUSES, content_type=CONTENT_TYPES)
    @example(body=b"[" * 100_000 + b"]" * 100_000, status=200, content_type="application/json")
    @example(body=valid[: len(valid) // 2], status=200, content_type="application/json")
    def check(body: bytes, status: int, content_type: str) -> None:
        code = _answer(
            target, case, Fault(status, body, {"Content-Type": content_type} if content_type else {})
        )
        assert code is not ErrorCode.INTERNAL, body[:300]
        if 200 <= status < 300 and body != valid and code is not None:
            assert code in {ErrorCode.UNAVAILABLE, *case.meaning}, (code, body[:300])

    check()


def _answer(target: Target, case: Case, fault: Fault) -> ErrorCode | None:
    """The error code of the call when fault answers its request (None: the call returned)."""
    queue = target.emulator.fault_queue
    queue.clear()
    queue.add(replace(fault, method=case.method, path=case.path, when=case.matches, malformed=True))
    try:
        case.call(target)
    except ProviderError as exc:
        return exc.code
    finally:
        queue.clear()
    return None


def test_a_launch_answer_whose_id_no_value_type_accepts_is_unavailable(lambda_target: Target) -> None:
    """Found by the property above: a lone surrogate in the launched id made the value type raise
    ValueError, which reached the caller as INTERNAL."""
    body = b'{"data": {"instance_ids": ["\\ud800abc"]}}'
    spawn = next(c for c in CASES if (c.provider, c.what) == ("lambda", "spawn"))
    assert _answer(lambda_target, spawn, Fault(200, body)) is ErrorCode.UNAVAILABLE


def test_a_minimum_bid_that_is_no_price_is_unavailable(runpod_target: Target) -> None:
    """Found by the property above: `1e-400` reads as 0.0, which SpotPrice refuses with ValueError, and
    the caller got INTERNAL."""
    body = b'{"data": {"gpuTypes": [{"id": "NVIDIA RTX A4000", "lowestPrice": {"minimumBidPrice": 1e-400}}]}}'
    prices = next(c for c in CASES if (c.provider, c.what) == ("runpod", "graphql-prices"))
    assert _answer(runpod_target, prices, Fault(200, body)) is ErrorCode.UNAVAILABLE


def test_a_catalog_without_capacity_in_the_region_is_capacity_error(lambda_target: Target) -> None:
    """Found by the property above: a well-formed catalog whose only region with capacity is not the one
    asked for is CAPACITY_ERROR (the property had expected only INVALID_SPEC or UNAVAILABLE)."""
    types = next(c for c in CASES if (c.provider, c.what) == ("lambda", "instance-types"))
    valid = json.loads(_valid_answer(lambda_target, types))
    elsewhere = next(r for r in PUBLIC_REGIONS if r != lambda_target.spawn_options.region)
    for offer in valid["data"].values():
        offer["regions_with_capacity_available"] = [{"name": elsewhere, "description": elsewhere}]
    body = json.dumps(valid).encode()
    assert _answer(lambda_target, types, Fault(200, body)) is ErrorCode.CAPACITY_ERROR


def test_a_float_beyond_range_is_garbage_not_infinity(runpod_target: Target) -> None:
    """Found by the property above: `1e400` read as inf reached RunPod's price parsing as INTERNAL."""
    with pytest.raises(ValueError, match="range of a float"):
        decode_json(b"[1e400]")
    assert decode_json(b"[1.5e3, -0.0]") == [1500.0, -0.0]
    prices = next(c for c in CASES if c.what == "graphql-prices")
    fault = Fault(200, b'{"data": {"gpuTypes": 1e400}}')
    assert _answer(runpod_target, prices, fault) is ErrorCode.UNAVAILABLE
