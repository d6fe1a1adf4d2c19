"""A control plane in a child process: `python -m tests.journal.child JSON`.

JSON: {"provider", "settings", "journal", "op": "spawn" | "terminate", "keys": [...] | "ids": [...],
"kill_at": null | a point of KILL_POINTS, "go": a path whose creation starts every child at once}.
Prints one JSON line per instance spawned or terminated. With kill_at it SIGKILLs itself at that step of
its first call, so nothing of Python's shutdown runs (no finally, no atexit): a crash as the kernel sees it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Generator
from typing import Any

from provider_core import ProviderHandle, ProviderRegistry, SpawnOptions, discover
from provider_core._config import CoreConfig
from provider_core._journal import State
from provider_core._journal_sql import SQLJournal
from provider_core.hooks import hookimpl

# Each step of a call, in order: before the request (the intent is written), after the request was
# sent (the provider's call returned: the cloud has acted, the core has no answer), after the answer
# (the core has it, through every wrapper), before the journal records the outcome.
KILL_POINTS = ("before-request", "after-sent", "after-answer", "before-record")
RUN_TAG = "journal-test"


def die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


class KillWrapper:
    def __init__(self, method: str, point: str) -> None:
        self.method, self.point = method, point

    def _wrap(self, provider: str) -> Generator[None, Any, Any]:
        if self.point == "before-request":
            die()
        result = yield
        if self.point == "after-answer":
            die()
        return result

    @hookimpl(wrapper=True)
    def spawn(self, provider: str, options: SpawnOptions) -> Generator[None, Any, Any]:
        if self.method != "spawn":
            return (yield)
        return (yield from self._wrap(provider))

    @hookimpl(wrapper=True)
    def terminate(self, provider: str, provider_id: str) -> Generator[None, Any, Any]:
        if self.method != "terminate":
            return (yield)
        return (yield from self._wrap(provider))


def arm(handle: ProviderHandle, registry: ProviderRegistry, method: str, point: str) -> None:
    registry.plugin_manager.register(KillWrapper(method, point))
    if point == "after-sent":
        built = handle.provider
        original = getattr(built, method)

        def sent(*args: Any) -> Any:
            original(*args)
            die()

        setattr(built, method, sent)
    if point == "before-record":
        finish = SQLJournal.finish
        outcome = State.CREATED if method == "spawn" else State.CONFIRMED

        def record(self: SQLJournal, intent_id: int, state: State, **fields: Any) -> None:
            if state is outcome:
                die()
            finish(self, intent_id, state, **fields)

        SQLJournal.finish = record  # type: ignore[method-assign]


def main(spec: dict[str, Any]) -> None:
    registry = ProviderRegistry(CoreConfig(journal=spec["journal"], retry=None))
    registry.add(discover().registration(spec["provider"]))
    handle = registry.get(spec["provider"], **spec["settings"])
    handle.provider  # noqa: B018 - built before the start line, so children race only on their calls
    if spec.get("kill_at"):
        arm(handle, registry, spec["op"], spec["kill_at"])
    if spec.get("go"):  # line the children up: each says it is ready, then waits for the parent's go
        print(json.dumps({"ready": True}), flush=True)
        while not os.path.exists(spec["go"]):
            time.sleep(0.005)
    profile = handle.registration.compliance
    assert profile is not None
    for key in spec.get("keys", ()):
        options = SpawnOptions(
            name=f"j-{key[-12:]}",
            instance_type=profile.instance_type,
            region=profile.region,
            idempotency_key=key,
            tags={RUN_TAG: spec["run"]},
        )
        print(json.dumps({"spawned": handle.spawn(options).id, "key": key}), flush=True)
    for instance_id in spec.get("ids", ()):
        handle.terminate(instance_id)
        print(json.dumps({"terminated": instance_id}), flush=True)
    registry.close()


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
