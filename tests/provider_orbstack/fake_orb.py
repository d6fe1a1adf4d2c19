"""A stand-in for OrbStack's `orb` CLI (run as a script): replays the documented JSON shapes.

Records every argv in $FAKE_ORB_ROOT/calls.jsonl, keeps machines in state.json, and fails a verb
once when $FAKE_ORB_ROOT/fail-<verb> exists ({"stderr": ..., "code": ...}). When hang-<verb> exists
(holding seconds), the verb does its work and then hangs that long, once: a CLI killed by its timeout
after OrbStack already acted.
"""

import json
import os
import sys
import time
import uuid
from pathlib import Path
from typing import Any, NoReturn

root = Path(os.environ["FAKE_ORB_ROOT"])
state_file = root / "state.json"
argv = sys.argv[1:]
with (root / "calls.jsonl").open("a") as log:
    log.write(json.dumps(argv) + "\n")
machines: dict[str, Any] = json.loads(state_file.read_text()) if state_file.exists() else {}


def save() -> None:
    state_file.write_text(json.dumps(machines))


def fail(message: str, code: int = 1) -> NoReturn:
    sys.stderr.write(message + "\n")
    sys.exit(code)


verb = argv[0] if argv else ""
injected = root / f"fail-{verb}"
if injected.exists():
    spec = json.loads(injected.read_text())
    injected.unlink()
    fail(spec["stderr"], spec["code"])
hang = root / f"hang-{verb}"
hang_s = float(hang.read_text()) if hang.exists() else 0.0
hang.unlink(missing_ok=True)

if verb == "stop" and len(argv) == 1:
    (root / "orbstack-stopped").write_text("the whole of OrbStack was stopped")
    sys.exit(0)

if verb == "create":
    rest: list[str] = argv[1:]
    arch = "arm64"
    user_data: str | None = None
    positional = []
    while rest:
        arg = rest.pop(0)
        if arg in ("-a", "--arch"):
            arch = rest.pop(0)
        elif arg in ("-c", "--user-data"):
            user_data = Path(rest.pop(0)).read_text()
        else:
            positional.append(arg)
    if len(positional) != 2:
        fail("Usage: orb create [flags] DISTRO[:VERSION] NAME")
    image, name = positional
    distro, _, version = image.partition(":")
    if distro not in ("ubuntu", "debian", "alpine", "fedora"):
        fail(f"unknown distro: {distro}")
    if name in machines:
        fail(f"machine already exists: {name}")
    machines[name] = {
        "record": {
            "id": uuid.uuid4().hex[:26].upper(),
            "name": name,
            "image": {"distro": distro, "version": version or "current", "arch": arch, "variant": "default"},
            "config": {"isolated": False, "default_username": "user"},
            "builtin": False,
            "state": "running",
        },
        "user_data": user_data,
    }
    save()
elif verb == "list" and argv[1:] == ["--format", "json"]:
    print(json.dumps([m["record"] for m in machines.values()]))
elif verb == "info" and len(argv) == 4 and argv[2:] == ["--format", "json"]:
    machine = machines.get(argv[1])
    if machine is None:
        fail(f"machine not found: {argv[1]}")
    print(json.dumps({"record": machine["record"], "disk_size": 1073741824, "ip4": "198.19.249.7"}))
elif verb == "delete" and argv[1:2] == ["-f"] and len(argv) == 3:
    if machines.pop(argv[2], None) is None:
        fail(f"machine not found: {argv[2]}")
    save()
else:
    fail("Usage: orb [command]")
time.sleep(hang_s)
