"""Request checks the emulator applies before touching state, with RunPod's answers.

REST v2 answers a body that breaks the contract with 422 and an `errors` list, and a body that
matches the contract but breaks a cross-field rule with 400 (createPod description). The
emulator checks the parts of CreatePodRequest the provider uses; the tests validate the rest
against the published spec itself.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, NamedTuple

TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    409: "Conflict",
    422: "Unprocessable Entity",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
}
CREATE_FIELDS = frozenset(
    [
        "args",
        "disk",
        "env",
        "image",
        "ports",
        "registry",
        "name",
        "cloud",
        "cpu",
        "dataCenterIds",
        "globalNetworking",
        "gpu",
        "mounts",
        "startJupyter",
        "startSsh",
        "templateId",
    ]
)
GPU_FIELDS = frozenset({"id", "count", "allowedCudaVersions", "minCudaVersion"})
CUDA_VERSION = re.compile(r"\d+\.\d+")


class Problem(NamedTuple):
    status: int
    detail: str
    errors: tuple[str, ...] = ()

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "title": TITLES.get(self.status, "Error"),
            "status": self.status,
            "detail": self.detail,
        }
        if self.errors:
            body["errors"] = list(self.errors)
        return body

    def result(self) -> tuple[int, dict[str, Any]]:
        return self.status, self.body()


def _contract(*errors: str) -> Problem:
    return Problem(422, "Request validation failed.", errors)


def _is_str_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())


def _is_int(value: Any, minimum: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= minimum


def check_create(body: Any) -> Problem | None:
    if not isinstance(body, Mapping):
        return _contract("$: expected an object")
    extra = sorted(set(body) - CREATE_FIELDS)
    if extra:
        return _contract(*(f"$: additional properties '{key}' not allowed" for key in extra))
    errors = []
    if not isinstance(body.get("name"), str) or not body["name"]:
        errors.append("$.name: required, a non-empty string")
    if "templateId" not in body and not isinstance(body.get("image"), str):
        errors.append("$.image: required unless templateId is set")
    if "env" in body and not _is_str_map(body["env"]):
        errors.append("$.env: must map strings to strings")
    if "disk" in body and not _is_int(body["disk"], 1):
        errors.append("$.disk: must be an integer >= 1")
    if "args" in body and not isinstance(body["args"], str):
        errors.append("$.args: must be a string")
    if "ports" in body and not (
        isinstance(body["ports"], list) and all(isinstance(p, str) for p in body["ports"])
    ):
        errors.append("$.ports: must be a list of strings")
    if "cloud" in body and body["cloud"] not in ("SECURE", "COMMUNITY"):
        errors.append("$.cloud: must be SECURE or COMMUNITY")
    centers = body.get("dataCenterIds", [])
    if not (isinstance(centers, list) and all(isinstance(c, str) for c in centers)):
        errors.append("$.dataCenterIds: must be a list of strings")
    gpu = body.get("gpu")
    if gpu is not None and not (
        isinstance(gpu, Mapping)
        and set(gpu) <= GPU_FIELDS
        and isinstance(gpu.get("id"), str)
        and _is_int(gpu.get("count", 1), 1)
    ):
        errors.append("$.gpu: must be {id: string, count: integer >= 1}")
    errors += _check_cuda(gpu)
    errors += _check_mounts(body.get("mounts"))
    if errors:
        return _contract(*errors)
    if ("gpu" in body) == ("cpu" in body):
        return Problem(400, "exactly one of gpu or cpu must be set")
    if "cpu" in body:
        return Problem(400, "CPU pods are not emulated")
    if "templateId" in body:
        return Problem(404, f"template {body['templateId']} not found")
    if isinstance(gpu, Mapping) and gpu.get("allowedCudaVersions") and "minCudaVersion" in gpu:
        return Problem(400, "allowedCudaVersions and minCudaVersion are mutually exclusive")
    mounts = body.get("mounts") or {}
    if "persistent" in mounts and "network" in mounts:
        return Problem(400, "mounts.persistent and mounts.network are mutually exclusive")
    return None


def _check_cuda(gpu: Any) -> list[str]:
    """CreateGpuConfig's CUDA constraints: `major.minor` strings (an explicit [] means none)."""
    if not isinstance(gpu, Mapping):
        return []
    errors = []
    allowed = gpu.get("allowedCudaVersions", [])
    if not (isinstance(allowed, list) and all(_is_cuda(v) for v in allowed)):
        errors.append("$.gpu.allowedCudaVersions: must be a list of major.minor strings")
    if "minCudaVersion" in gpu and not _is_cuda(gpu["minCudaVersion"]):
        errors.append("$.gpu.minCudaVersion: must be a major.minor string")
    return errors


def _is_cuda(value: Any) -> bool:
    return isinstance(value, str) and CUDA_VERSION.fullmatch(value) is not None


def cuda_version(text: str) -> tuple[int, int]:
    """`12.11` as (12, 11): the spec compares versions numerically, not as decimals."""
    major, minor = text.split(".")
    return int(major), int(minor)


def _check_mounts(mounts: Any) -> list[str]:
    if mounts is None:
        return []
    if not isinstance(mounts, Mapping) or not set(mounts) <= {"persistent", "network"}:
        return ["$.mounts: only persistent and network are allowed"]
    network = mounts.get("network", [])
    if not isinstance(network, list) or len(network) > 1:
        return ["$.mounts.network: at most one item"]
    for item in network:
        if not (
            isinstance(item, Mapping)
            and set(item) == {"volumeId", "path"}
            and all(isinstance(v, str) for v in item.values())
        ):
            return ["$.mounts.network[0]: requires volumeId and path, nothing else"]
    return []


def check_action(body: Any) -> Problem | None:
    if not isinstance(body, Mapping) or set(body) != {"action"}:
        return _contract("$: requires exactly the property 'action'")
    if body["action"] not in ("start", "stop", "restart", "terminate"):
        return _contract("$.action: must be one of start, stop, restart, terminate")
    return None
