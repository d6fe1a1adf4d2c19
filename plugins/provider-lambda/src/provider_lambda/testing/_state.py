"""The emulator's account: state, knobs and operations, independent of HTTP (routes live in _server.py)."""

from __future__ import annotations

import base64
import copy
import math
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from attrs import define

from provider_lambda.testing._catalog import (
    CAPACITY,
    DEFAULT_PUBLIC_KEY,
    DEFAULT_SSH_KEY,
    INSTANCE_TYPES,
    REGIONS,
)
from provider_lambda.testing._wire import ApiError, json_object, require

TAG_KEY = re.compile(r"[a-z][a-z0-9-:]+")
STATUSES = ("booting", "active", "unhealthy", "terminated", "terminating", "preempted")


@define
class _Instance:
    id: str
    name: str
    instance_type: str
    region: str
    ssh_key_names: list[str]
    tags: list[dict[str, str]]
    status: str
    launched_at: float
    user_data: str | None = None
    terminating_since: float | None = None
    # Set by set_status: the status stays as the test put it.
    pinned: bool = False


class EmulatorState:
    """A Lambda Cloud account: instances, SSH keys, capacity, and the failure knobs tests turn."""

    def __init__(
        self,
        *,
        api_key: str = "lambda-emulator-key",
        instance_types: Mapping[str, Mapping[str, Any]] = INSTANCE_TYPES,
        capacity: Mapping[str, Mapping[str, int]] = CAPACITY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.api_key = api_key
        self.instance_types = {name: dict(spec) for name, spec in instance_types.items()}
        self.capacity = {name: dict(slots) for name, slots in capacity.items()}
        # Knobs.
        self.quota: int | None = None
        self.latency = 0.0
        self.account_inactive = False
        self.boot_seconds = 0.0
        self.terminate_seconds = 0.0
        self.enforced_intervals: tuple[float, float] | None = None
        # Observable state.
        self.instances: dict[str, _Instance] = {}
        self.ssh_keys: dict[str, dict[str, str]] = {}
        self.requests = 0
        self.launches = 0
        self.throttled = 0
        self._clock = clock
        self._last_request = -math.inf
        self._last_launch = -math.inf
        self._lock = threading.RLock()
        self.add_ssh_key(DEFAULT_SSH_KEY, DEFAULT_PUBLIC_KEY)

    # -- knobs ---------------------------------------------------------------------------------

    def set_capacity(self, instance_type: str, slots: Mapping[str, int] | Iterable[str]) -> None:
        """Launch slots per region; an iterable of regions means plenty in each, empty means none."""
        with self._lock:
            self.capacity[instance_type] = (
                dict(slots) if isinstance(slots, Mapping) else dict.fromkeys(slots, 1000)
            )

    def enforce_limits(self, request_interval: float, launch_interval: float) -> None:
        """Answer 429 to requests closer together than these intervals, like the real API."""
        self.enforced_intervals = (request_interval, launch_interval)

    def set_status(self, instance_id: str, status: str) -> None:
        if status not in STATUSES:
            raise ValueError(f"not a Lambda instance status: {status}")
        with self._lock:
            self.instances[instance_id].status = status
            self.instances[instance_id].pinned = True

    def add_ssh_key(self, name: str, public_key: str) -> dict[str, str]:
        with self._lock:
            key = {"id": uuid.uuid4().hex, "name": name, "public_key": public_key}
            self.ssh_keys[key["id"]] = key
            return key

    def snapshot(self) -> list[dict[str, Any]]:
        """Every instance as the API shows it, for assertions."""
        with self._lock:
            self._advance()
            return [self._view(i) for i in self.instances.values()]

    def user_data(self, instance_id: str) -> str | None:
        with self._lock:
            return self.instances[instance_id].user_data

    # -- requests ------------------------------------------------------------------------------

    def authenticate(self, authorization: str | None) -> None:
        given = authorization or ""
        scheme, _, credential = given.partition(" ")
        if scheme.lower() == "basic":
            try:
                credential = base64.b64decode(credential, validate=True).decode().removesuffix(":")
            except ValueError:
                credential = ""
        if scheme.lower() not in ("bearer", "basic") or credential != self.api_key:
            raise ApiError(
                401,
                "global/invalid-api-key",
                "API key was invalid, expired, or deleted.",
                "Check your API key or create a new one, then try again.",
            )
        if self.account_inactive:
            raise ApiError(403, "global/account-inactive", "Your account is inactive.", "Contact Support.")

    def pace(self, operation: str) -> int:
        """Seconds the caller must wait when it came too soon under enforce_limits, else 0."""
        if self.enforced_intervals is None:
            return 0
        now = self._clock()
        general, launch = self.enforced_intervals
        wait = self._last_request + general - now
        if operation == "launchInstance":
            wait = max(wait, self._last_launch + launch - now)
        if wait > 0:
            self.throttled += 1
            return math.ceil(wait)
        self._last_request = now
        if operation == "launchInstance":
            self._last_launch = now
        return 0

    def dispatch(self, operation: str, arg: str | None, body: bytes) -> Any:
        self._advance()
        if operation == "listInstances":
            return [self._view(i) for i in self.instances.values()]
        if operation == "getInstance":
            return self._view(self._instance(arg or ""))
        if operation == "listInstanceTypes":
            return self._instance_types()
        if operation == "launchInstance":
            return self._launch(json_object(body))
        if operation == "terminateInstance":
            return self._terminate(body)
        if operation == "listSSHKeys":
            return list(self.ssh_keys.values())
        if operation == "addSSHKey":
            return self._add_key(json_object(body))
        if self.ssh_keys.pop(arg or "", None) is None:
            raise ApiError(400, "global/invalid-parameters", "No SSH key with that id.")
        return {}

    # -- operations ----------------------------------------------------------------------------

    def _advance(self) -> None:
        now = self._clock()
        for instance in list(self.instances.values()):
            if instance.pinned:
                continue
            if instance.status == "booting" and now >= instance.launched_at + self.boot_seconds:
                instance.status = "active"
            since = instance.terminating_since
            if since is not None and now >= since + self.terminate_seconds:
                del self.instances[instance.id]

    def _instance(self, instance_id: str) -> _Instance:
        if instance_id not in self.instances:
            raise ApiError(404, "global/object-does-not-exist", "Specified instance does not exist.")
        return self.instances[instance_id]

    def _instance_types(self) -> dict[str, Any]:
        return {
            name: {
                "instance_type": copy.deepcopy(spec),
                "regions_with_capacity_available": [
                    {"name": r, "description": REGIONS[r]}
                    for r, slots in sorted(self.capacity.get(name, {}).items())
                    if slots > 0
                ],
            }
            for name, spec in self.instance_types.items()
        }

    def _launch(self, body: dict[str, Any]) -> dict[str, Any]:
        region: Any = body.get("region_name")
        kind: Any = body.get("instance_type_name")
        keys: Any = body.get("ssh_key_names")
        name: Any = body.get("name", "")
        tags: Any = body.get("tags", [])
        user_data: Any = body.get("user_data")
        # Every check tests the type first: a list or object where a string belongs is a 400, not a
        # crash (an unhashable value would break `in`).
        require(
            isinstance(region, str) and region in REGIONS,
            f"region_name must be a public region code, got {region!r}",
        )
        require(isinstance(kind, str) and kind in self.instance_types, f"unknown instance type {kind!r}")
        require(
            isinstance(keys, list) and len(keys) == 1 and isinstance(keys[0], str),
            "exactly one SSH key name must be given",
        )
        require("image" not in body or _valid_image(body["image"]), "image must be {id} or {family}")
        require(isinstance(name, str) and len(name) <= 64, "name must be at most 64 characters")
        require(
            user_data is None or (isinstance(user_data, str) and len(user_data) <= 1 << 20), "bad user_data"
        )
        require(isinstance(tags, list) and all(_valid_tag(t) for t in tags), "tags are invalid")
        if keys[0] not in {k["name"] for k in self.ssh_keys.values()}:
            raise ApiError(404, "global/object-does-not-exist", "SSH key not found.", "Add the key first.")
        if (
            self.quota is not None
            and sum(i.terminating_since is None for i in self.instances.values()) >= self.quota
        ):
            raise ApiError(
                400, "global/quota-exceeded", "Quota exceeded.", "Contact Support to increase your quota."
            )
        slots = self.capacity.get(kind, {})
        if slots.get(region, 0) <= 0:
            raise ApiError(400, "instance-operations/launch/insufficient-capacity", "Not enough capacity.")
        slots[region] -= 1
        instance = _Instance(
            id=uuid.uuid4().hex,
            name=name,
            instance_type=kind,
            region=region,
            ssh_key_names=list(keys),
            tags=[{"key": t["key"], "value": t["value"]} for t in tags],
            status="booting",
            launched_at=self._clock(),
            user_data=user_data,
        )
        self.instances[instance.id] = instance
        self.launches += 1
        return {"instance_ids": [instance.id]}

    def _terminate(self, raw: bytes) -> dict[str, Any]:
        try:
            ids: Any = json_object(raw).get("instance_ids")
            require(
                isinstance(ids, list) and all(isinstance(i, str) for i in ids),
                "instance_ids must be strings",
            )
        except ApiError as exc:
            # The spec documents 401, 403 and 404 for terminate, no 400: a body that names no instance
            # gets the documented not-found answer, saying what was wrong.
            raise ApiError(
                404, "global/object-does-not-exist", f"Specified instance does not exist. {exc.message}"
            ) from exc
        targets = [self._instance(i) for i in ids]
        for instance in targets:
            if instance.terminating_since is None:
                instance.terminating_since = self._clock()
                instance.status = "terminating"
                slots = self.capacity.setdefault(instance.instance_type, {})
                slots[instance.region] = slots.get(instance.region, 0) + 1
        return {"terminated_instances": [self._view(i) for i in targets]}

    def _add_key(self, body: dict[str, Any]) -> dict[str, str]:
        name: Any = body.get("name")
        public_key: Any = body.get("public_key")
        require(isinstance(name, str) and 0 < len(name) <= 64, "name must be 1 to 64 characters")
        if "public_key" not in body:
            # Lambda generates a pair; the emulator hands out an inert placeholder, not a usable key.
            token = uuid.uuid4().hex
            key = self.add_ssh_key(name, f"ssh-ed25519 EMULATOR{token} {name}")
            return {**key, "private_key": f"-----BEGIN EMULATOR PLACEHOLDER-----\n{token}\n-----END-----\n"}
        # Optional, but a string when given: an explicit null is not "generate one".
        require(
            isinstance(public_key, str) and 0 < len(public_key) <= 4096,
            "public_key must be a string of 1 to 4096 characters",
        )
        return self.add_ssh_key(name, public_key)

    def _view(self, instance: _Instance) -> dict[str, Any]:
        alive = instance.status in ("booting", "active", "unhealthy")
        number = int(instance.id[:6], 16) % 250 + 2
        view: dict[str, Any] = {
            "id": instance.id,
            "name": instance.name,
            "status": instance.status,
            "ssh_key_names": list(instance.ssh_key_names),
            "file_system_names": [],
            "region": {"name": instance.region, "description": REGIONS[instance.region]},
            "instance_type": copy.deepcopy(self.instance_types[instance.instance_type]),
            "actions": {
                action: {"available": alive}
                if alive
                else {"available": False, "reason_code": "vm-is-terminating"}
                for action in ("migrate", "rebuild", "restart", "cold_reboot", "terminate")
            },
            "tags": [dict(t) for t in instance.tags],
        }
        if instance.status != "booting":
            view.update(
                ip=f"198.51.100.{number}", private_ip=f"10.0.0.{number}", hostname=f"198-51-100-{number}"
            )
        return view


def _valid_image(image: object) -> bool:
    """ImageSpecificationID or ImageSpecificationFamily: an object naming one, never a bare string."""
    return isinstance(image, dict) and any(isinstance(image.get(key), str) for key in ("id", "family"))


def _valid_tag(tag: object) -> bool:
    return (
        isinstance(tag, dict)
        and isinstance(tag.get("key"), str)
        and isinstance(tag.get("value"), str)
        and len(tag["key"]) <= 55
        and TAG_KEY.fullmatch(tag["key"]) is not None
        and len(tag["value"]) <= 128
    )
