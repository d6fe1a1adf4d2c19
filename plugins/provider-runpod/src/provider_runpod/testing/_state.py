"""The emulator's account: pods, GPU stock, network volumes, and the REST v2 / GraphQL operations on them.

Pure logic, no HTTP: every operation returns (status, body) and raises nothing for bad input.
Shapes follow runpod-rest-v2-openapi.json (Pod, ListPodsResponse, ErrorResponse) and RunPod's
public GraphQL spec (podRentInterruptable, pod, podTerminate, gpuTypes).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any, NamedTuple

from provider_runpod.testing._checks import Problem, check_action, check_create, cuda_version


class GpuOffer(NamedTuple):
    price: float  # on-demand, per GPU-hour
    min_bid: float  # spot, per GPU-hour
    memory_gb: int


CATALOG: Mapping[str, GpuOffer] = {
    "NVIDIA RTX A4000": GpuOffer(0.17, 0.09, 16),
    "NVIDIA GeForce RTX 4090": GpuOffer(0.69, 0.34, 24),
    "NVIDIA H100 80GB HBM3": GpuOffer(2.99, 1.75, 80),
}
DATA_CENTERS = ("US-TX-3", "US-KS-2", "EU-RO-1")
# The CUDA version every emulated host reports: a pod constrained away from it finds no capacity.
HOST_CUDA = "12.8"
NO_CAPACITY = (
    "There are no longer any instances available with the requested specifications. "
    "Please refresh and try again."
)
ACTIONS = {
    "PROVISIONING": ["stop", "terminate"],
    "STARTING": ["stop", "terminate"],
    "RUNNING": ["stop", "restart", "terminate"],
    "EXITED": ["start", "terminate"],
    "ERROR": ["start", "terminate"],
    "TERMINATED": [],
}
Result = tuple[int, Any]


class Refusal(Exception):
    """A GraphQL operation RunPod refuses: answered as an `errors` entry (code in its extensions)."""

    def __init__(self, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


# How lastStatusChange names what a user did.
_VERBS = {"EXITED": "Exited", "TERMINATED": "Terminated", "PROVISIONING": "Resumed"}


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _status_change(what: str) -> str:
    """GraphQL's lastStatusChange as RunPod writes it: "<what>: <JavaScript Date string>"."""
    when = datetime.now(UTC).strftime("%a %b %d %Y %H:%M:%S GMT+0000 (Coordinated Universal Time)")
    return f"{what}: {when}"


def _fits_host_cuda(gpu: Mapping[str, Any]) -> bool:
    """Whether the hosts' CUDA meets the pod's constraint (exact set, or a numeric floor)."""
    allowed = gpu.get("allowedCudaVersions") or []
    if allowed and HOST_CUDA not in allowed:
        return False
    floor = gpu.get("minCudaVersion")
    return floor is None or cuda_version(floor) <= cuda_version(HOST_CUDA)


class Account:
    """Thread-safe state of one emulated RunPod account."""

    def __init__(self, *, boot_reads: int = 1, gpus_per_type: int = 64) -> None:
        self.boot_reads = boot_reads
        self.capacity: dict[str, int] = dict.fromkeys(CATALOG, gpus_per_type)
        self.volumes: dict[str, str] = {}  # network volume id -> data center
        self.pods: dict[str, dict[str, Any]] = {}
        self.lock = threading.RLock()
        self._ids = (f"emu{n:011d}" for n in itertools.count(1))

    # -- REST v2 -----------------------------------------------------------------------------------

    def list_pods(self) -> Result:
        with self.lock:
            live = [p for p in self.pods.values() if p["status"] != "TERMINATED"]
            return 200, {"pods": [self._observe(p) for p in live]}

    def get_pod(self, pod_id: str) -> Result:
        with self.lock:
            pod = self.pods.get(pod_id)
            return (200, self._observe(pod)) if pod else Problem(404, "pod not found").result()

    def create_pod(self, body: Any) -> Result:
        problem = check_create(body)
        if problem is not None:
            return problem.result()
        gpu = body["gpu"]
        if not _fits_host_cuda(gpu):
            return Problem(400, NO_CAPACITY).result()
        mounts = body.get("mounts") or {}
        volume = (mounts.get("network") or [{}])[0]
        with self.lock:
            placed = self._place(
                gpu["id"], gpu.get("count", 1), body.get("dataCenterIds") or [], volume.get("volumeId")
            )
            if isinstance(placed, Problem):
                return placed.result()
            pod = self._new_pod(body, placed, spot=False)
            return 201, self._view(pod)

    def delete_pod(self, pod_id: str) -> Result:
        with self.lock:
            pod = self.pods.get(pod_id)
            if pod is None or pod["status"] == "TERMINATED":
                return Problem(404, "pod not found").result()
            self._set_status(pod, "TERMINATED")
            return 204, None

    def pod_action(self, pod_id: str, body: Any) -> Result:
        problem = check_action(body)
        if problem is not None:
            return problem.result()
        with self.lock:
            pod = self.pods.get(pod_id)
            if pod is None or pod["status"] == "TERMINATED":
                return Problem(404, "pod not found").result()
            action = body["action"]
            if action not in ACTIONS[pod["status"]]:
                return Problem(409, f"cannot {action} a pod that is {pod['status']}").result()
            if action == "terminate":
                self._set_status(pod, "TERMINATED")
                return 204, None
            if action == "stop":
                self._set_status(pod, "EXITED")
            elif action == "start":
                if self.capacity[pod["gpu"]["id"]] < pod["gpu"]["count"]:
                    return Problem(400, NO_CAPACITY).result()
                self._set_status(pod, "PROVISIONING")
            return 200, self._view(pod)

    # -- GraphQL -----------------------------------------------------------------------------------

    def rent_spot(self, data: Any) -> Any:
        """podRentInterruptable (input already typed by the schema): returns the pod view, or raises
        Refusal with RunPod's message."""
        if data["gpuCount"] < 1:
            raise Refusal("gpuCount must be at least 1", "BAD_USER_INPUT")
        with self.lock:
            offer = CATALOG.get(data["gpuTypeId"])
            if offer is None:
                raise Refusal(f"gpu type {data['gpuTypeId']} not found")
            if data["bidPerGpu"] < offer.min_bid:
                raise Refusal(f"bid {data['bidPerGpu']} is below the minimum bid price of {offer.min_bid}")
            centers = [data["dataCenterId"]] if data.get("dataCenterId") else []
            placed = self._place(data["gpuTypeId"], data["gpuCount"], centers, data.get("networkVolumeId"))
            if isinstance(placed, Problem):
                raise Refusal(placed.detail)
            body = {
                "name": data.get("name") or "spot pod",
                "image": data.get("imageName") or "",
                "args": data.get("dockerArgs") or "",
                "env": {item["key"]: item["value"] for item in data.get("env") or ()},
                "ports": [p for p in (data.get("ports") or "").split(",") if p],
                "disk": data.get("containerDiskInGb") or 20,
                "gpu": {"id": data["gpuTypeId"], "count": data["gpuCount"]},
            }
            if data.get("networkVolumeId"):
                path = data.get("volumeMountPath") or "/runpod-volume"
                body["mounts"] = {"network": [{"volumeId": data["networkVolumeId"], "path": path}]}
            pod = self._new_pod(body, placed, spot=True, bid=float(data["bidPerGpu"]))
            return self.graphql_pod(pod["id"])

    def graphql_pod(self, pod_id: str) -> dict[str, Any] | None:
        with self.lock:
            pod = self.pods.get(pod_id)
            if pod is None or pod["status"] == "TERMINATED":
                return None
            gpu = pod["gpu"]
            return {
                "id": pod["id"],
                "name": pod["name"],
                "desiredStatus": "EXITED" if pod["status"] in ("EXITED", "ERROR") else "RUNNING",
                "podType": "INTERRUPTABLE" if pod["_spot"] else "RESERVED",
                "costPerHr": self._cost(pod),
                "gpuCount": gpu["count"],
                "imageName": pod["image"],
                "env": [f"{k}={v}" for k, v in pod["env"].items()],
                "machineId": f"machine-{pod['id']}",
                "dockerArgs": pod["args"],
                "containerDiskInGb": pod["disk"],
                "volumeInGb": 0,
                "volumeMountPath": None,
                "lastStatusChange": pod["_reason"],
                "machine": {"podHostId": f"{pod['id']}-64410065", "gpuDisplayName": gpu["id"]},
            }

    def terminate_spot(self, pod_id: str) -> None:
        with self.lock:
            pod = self.pods.get(pod_id)
            if pod is None or pod["status"] == "TERMINATED":
                raise Refusal("pod not found to terminate")
            self._set_status(pod, "TERMINATED")

    def gpu_types(self, gpu_id: str | None) -> list[dict[str, Any]]:
        return [
            {
                "id": name,
                "displayName": name.removeprefix("NVIDIA ").removeprefix("GeForce "),
                "memoryInGb": offer.memory_gb,
                "secureCloud": True,
                "communityCloud": False,
                "securePrice": offer.price,
                "communityPrice": None,
                "secureSpotPrice": offer.min_bid,
                "communitySpotPrice": None,
            }
            for name, offer in CATALOG.items()
            if gpu_id is None or name == gpu_id
        ]

    def lowest_price(self, gpu_id: str, gpu_count: int) -> dict[str, Any]:
        """GpuType.lowestPrice: prices only while gpu_count GPUs of the type are free."""
        with self.lock:
            free = self.capacity[gpu_id]
        in_stock = free >= gpu_count
        offer = CATALOG[gpu_id]
        return {
            "minimumBidPrice": offer.min_bid if in_stock else None,
            "uninterruptablePrice": offer.price if in_stock else None,
            "stockStatus": ("High" if free > 8 else "Low") if in_stock else None,
        }

    # -- knobs -------------------------------------------------------------------------------------

    def interrupt(self, pod_id: str) -> None:
        """Reclaim a spot pod the way RunPod does when outbid: it stops (EXITED), its GPUs freed, and
        lastStatusChange says "Outbid: <date>"."""
        with self.lock:
            pod = self.pods[pod_id]
            if not pod["_spot"]:
                raise ValueError(f"{pod_id} is not a spot pod")
            self._set_status(pod, "EXITED", reason=_status_change("Outbid"))

    # -- internals ---------------------------------------------------------------------------------

    def _place(self, gpu_id: str, count: int, centers: list[str], volume_id: str | None) -> str | Problem:
        if gpu_id not in CATALOG:
            return Problem(400, f"GPU type {gpu_id!r} does not exist")
        unknown = [c for c in centers if c not in DATA_CENTERS]
        if unknown:
            return Problem(400, f"unknown data center(s): {', '.join(unknown)}")
        center = centers[0] if centers else DATA_CENTERS[0]
        if volume_id is not None:
            if volume_id not in self.volumes:
                return Problem(404, f"network volume {volume_id} not found")
            if centers and self.volumes[volume_id] not in centers:
                return Problem(400, f"network volume {volume_id} is not in the requested data centers")
            center = self.volumes[volume_id]
        if self.capacity[gpu_id] < count:
            return Problem(400, NO_CAPACITY)
        self.capacity[gpu_id] -= count
        return center

    def _new_pod(
        self, body: Mapping[str, Any], center: str, *, spot: bool, bid: float = 0.0
    ) -> dict[str, Any]:
        gpu = body["gpu"]
        pod: dict[str, Any] = {
            "id": next(self._ids),
            "name": body["name"],
            "image": body.get("image", ""),
            "args": body.get("args", ""),
            "disk": body.get("disk", 50),
            "ports": list(body.get("ports") or []),
            "env": dict(body.get("env") or {}),
            "registry": None,
            "status": "PROVISIONING",
            "mounts": dict(body.get("mounts") or {}),
            "gpu": {"id": gpu["id"], "count": gpu.get("count", 1)},
            "cloud": body.get("cloud", "SECURE"),
            "dataCenterId": center,
            "template": None,
            "locked": False,
            "createdAt": _now(),
            "startedAt": None,
            "_spot": spot,
            "_bid": bid,
            "_reads": 0,
            "_reason": _status_change("Rented by User"),
        }
        self.pods[pod["id"]] = pod
        return pod

    def _set_status(self, pod: dict[str, Any], status: str, reason: str | None = None) -> None:
        holds = pod["status"] in ("PROVISIONING", "STARTING", "RUNNING")
        wants = status in ("PROVISIONING", "STARTING", "RUNNING")
        if holds and not wants:
            self.capacity[pod["gpu"]["id"]] += pod["gpu"]["count"]
        elif wants and not holds:
            self.capacity[pod["gpu"]["id"]] -= pod["gpu"]["count"]
        pod["status"], pod["_reads"] = status, 0
        pod["_reason"] = reason or _status_change(f"{_VERBS.get(status, status.capitalize())} by user")
        if status == "RUNNING":
            pod["startedAt"] = _now()

    def _observe(self, pod: dict[str, Any]) -> dict[str, Any]:
        """Reading a booting pod moves it along: STARTING, then RUNNING after boot_reads reads."""
        if pod["status"] in ("PROVISIONING", "STARTING"):
            pod["_reads"] += 1
            if pod["_reads"] > self.boot_reads:
                self._set_status(pod, "RUNNING", reason=pod["_reason"])
            else:
                pod["status"] = "STARTING"
        return self._view(pod)

    def _cost(self, pod: Mapping[str, Any]) -> float:
        if pod["status"] in ("EXITED", "TERMINATED", "ERROR"):
            return 0.0
        per_gpu = float(pod["_bid"]) if pod["_spot"] else CATALOG[pod["gpu"]["id"]].price
        return round(per_gpu * int(pod["gpu"]["count"]), 4)

    def _view(self, pod: Mapping[str, Any]) -> dict[str, Any]:
        """The pod as the v2 Pod schema has it (internal fields dropped)."""
        running = pod["status"] == "RUNNING"
        public_ip = f"203.0.113.{int(pod['id'][3:]) % 250 + 1}"
        direct = None
        if running and "22/tcp" in pod["ports"]:
            direct = {
                "host": public_ip,
                "port": 40022,
                "username": "root",
                "command": f"ssh root@{public_ip} -p 40022",
            }
        proxy_user = f"{pod['id']}-64410065"
        view = {k: v for k, v in pod.items() if not k.startswith("_")}
        view.update(
            cost=self._cost(pod),
            cudaVersion=HOST_CUDA if pod["status"] != "PROVISIONING" else None,
            actions=list(ACTIONS[pod["status"]]),
            ssh={
                "proxy": {
                    "host": "ssh.runpod.io",
                    "port": 22,
                    "username": proxy_user,
                    "command": f"ssh {proxy_user}@ssh.runpod.io",
                },
                "direct": direct,
            },
            globalNetworking={"enabled": False},
            runtime=(
                {"uptime": 0, "ports": [{"private": 22, "public": 40022, "type": "tcp", "ip": public_ip}]}
                if running
                else None
            ),
        )
        return view
