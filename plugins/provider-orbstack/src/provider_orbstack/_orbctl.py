"""The orbctl backend: real OrbStack machines through its CLI, with our tags in a local metadata file.

OrbStack machines have no tags, so tags, idempotency keys and sizes live in SQLite next to the sim's
state (`metadata_path`); only machines recorded there are ours, listed, or ever deleted.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from provider_core import ErrorCode, InstanceStatus, ListFilter, SpawnOptions
from provider_orbstack import _catalog as cat
from provider_orbstack._db import Database
from provider_orbstack._errors import PROVIDER, OrbctlFailure, error, map_error
from provider_orbstack._types import OrbStackInstance

SCHEMA_VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS machines (
        name TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, instance_type TEXT NOT NULL,
        region TEXT NOT NULL, image TEXT NOT NULL, tags TEXT NOT NULL, created_at REAL NOT NULL,
        created INTEGER NOT NULL DEFAULT 0, terminated_at REAL)""",
)
STATES = {
    "creating": InstanceStatus.PENDING,
    "starting": InstanceStatus.PENDING,
    "running": InstanceStatus.RUNNING,
    "stopping": InstanceStatus.STOPPING,
    "stopped": InstanceStatus.STOPPED,
    "deleting": InstanceStatus.TERMINATING,
}
# Verbs that act on one machine; without a name, `orb stop` would stop OrbStack itself.
MACHINE_VERBS = frozenset({"start", "stop", "restart", "delete", "info"})
RETENTION_S = 3600.0


class OrbCli:
    """Runs `orb` with a timeout; refuses machine verbs that name no machine."""

    def __init__(self, executable: str | None, timeout_s: float = 600.0) -> None:
        self.executable = executable
        self.timeout_s = timeout_s

    def run(self, *args: str) -> str:
        verb = args[0] if args else ""
        positional = [a for a in args[1:] if not a.startswith("-")]
        if verb in MACHINE_VERBS and not positional:
            raise error(ErrorCode.INTERNAL, f"refusing to run `orb {verb}` without a machine name")
        if self.executable is None:
            raise error(ErrorCode.UNAVAILABLE, "neither orbctl nor orb is on PATH (is OrbStack installed?)")
        done = subprocess.run(
            [self.executable, *args], capture_output=True, text=True, timeout=self.timeout_s, check=False
        )
        if done.returncode != 0:
            raise OrbctlFailure(verb, done.returncode, done.stderr or done.stdout)
        return done.stdout

    def json(self, *args: str) -> Any:
        return json.loads(self.run(*args))


def find_orb() -> str | None:
    return shutil.which("orbctl") or shutil.which("orb")


def machine_name(name: str) -> str:
    """A unique OrbStack machine name derived from the instance name."""
    base = re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")[:40] or "machine"
    return f"{base}-{secrets.token_hex(3)}"


class OrbctlBackend:
    name = "orbctl"

    def __init__(
        self,
        cli: OrbCli,
        metadata_path: str | Path,
        arch: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.cli = cli
        self.arch = arch
        self.meta = Database(metadata_path, SCHEMA, SCHEMA_VERSION)
        self._clock = clock

    def spawn(self, options: SpawnOptions) -> OrbStackInstance:
        self._validate(options)
        name = machine_name(options.name)
        now = self._clock()
        with self.meta.write() as conn:
            conn.execute("DELETE FROM machines WHERE terminated_at < ?", (now - RETENTION_S,))
            row = None
            if options.idempotency_key is not None:
                row = conn.execute(
                    "SELECT name FROM machines WHERE idempotency_key = ?", (options.idempotency_key,)
                ).fetchone()
            if row is None:
                # Reserved before `orb create` runs, so a concurrent spawn with the same key finds it.
                conn.execute(
                    "INSERT INTO machines (name, idempotency_key, instance_type, region, image, tags,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        name,
                        options.idempotency_key,
                        options.instance_type,
                        cat.DEFAULT_REGION,
                        options.image or cat.DEFAULT_IMAGE,
                        json.dumps(dict(options.tags), sort_keys=True),
                        now,
                    ),
                )
        if row is not None:
            existing = self.get_instance(row["name"])
            if existing is None:
                raise error(
                    ErrorCode.NOT_FOUND,
                    f"the machine spawned with idempotency key {options.idempotency_key!r} is gone",
                )
            return existing
        try:
            self._create(name, options)
        except BaseException:
            with self.meta.write() as conn:
                conn.execute("DELETE FROM machines WHERE name = ?", (name,))
            raise
        with self.meta.write() as conn:
            conn.execute("UPDATE machines SET created = 1 WHERE name = ?", (name,))
        found = self.get_instance(name)
        if found is None:
            raise error(ErrorCode.UNAVAILABLE, f"machine {name} was created but OrbStack does not list it")
        return found

    def _create(self, name: str, options: SpawnOptions) -> None:
        args = ["create"]
        if self.arch:
            args += ["-a", self.arch]
        user_data: str | None = None
        try:
            if options.bootstrap is not None:
                # The file holds the instance token: private to us, removed as soon as orb has read it.
                fd, user_data = tempfile.mkstemp(prefix="orbstack-user-data-", suffix=".yaml")
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(options.bootstrap.content)
                args += ["-c", user_data]
            self.cli.run(*args, options.image or cat.DEFAULT_IMAGE, name)
        finally:
            if user_data is not None:
                Path(user_data).unlink(missing_ok=True)

    def terminate(self, provider_id: str) -> None:
        with self.meta.read() as conn:
            row = conn.execute("SELECT * FROM machines WHERE name = ?", (provider_id,)).fetchone()
        if row is None or row["terminated_at"] is not None:
            return  # never ours, or already gone: nothing to delete
        try:
            self.cli.run("delete", "-f", provider_id)
        except OrbctlFailure as exc:
            if map_error(exc).code is not ErrorCode.NOT_FOUND:
                raise
        with self.meta.write() as conn:
            conn.execute("UPDATE machines SET terminated_at = ? WHERE name = ?", (self._clock(), provider_id))

    def list_instances(self, filter: ListFilter | None) -> list[OrbStackInstance]:
        wanted = filter or ListFilter()
        records = {r["name"]: r for r in self._records(self.cli.json("list", "--format", "json"))}
        with self.meta.read() as conn:
            rows = conn.execute("SELECT * FROM machines ORDER BY created_at, name").fetchall()
        found = (self._from_row(row, records.get(row["name"])) for row in rows)
        return [i for i in found if i is not None and i.managed and wanted.matches(i)]

    def get_instance(self, provider_id: str) -> OrbStackInstance | None:
        with self.meta.read() as conn:
            row = conn.execute("SELECT * FROM machines WHERE name = ?", (provider_id,)).fetchone()
        if row is None:
            return None
        info: dict[str, Any] | None = None
        if row["terminated_at"] is None:
            try:
                info = self.cli.json("info", provider_id, "--format", "json")
            except OrbctlFailure as exc:
                if map_error(exc).code is not ErrorCode.NOT_FOUND:
                    raise
        record = info.get("record") if isinstance(info, dict) else None
        return self._from_row(row, record if isinstance(record, dict) else None, info)

    def health(self) -> str:
        machines = self._records(self.cli.json("list", "--format", "json"))
        return f"orb at {self.cli.executable} answers; {len(machines)} machine(s) in OrbStack"

    @staticmethod
    def _records(data: Any) -> list[dict[str, Any]]:
        if not isinstance(data, list) or not all(isinstance(r, dict) and "name" in r for r in data):
            raise error(ErrorCode.INTERNAL, "`orb list --format json` did not return a list of machines")
        return data

    def _validate(self, options: SpawnOptions) -> None:
        if options.instance_type not in cat.SIZES:
            raise error(ErrorCode.INVALID_SPEC, f"unknown instance type {options.instance_type!r}")
        if (options.region or cat.DEFAULT_REGION) != cat.DEFAULT_REGION:
            raise error(ErrorCode.INVALID_SPEC, f"the orbctl backend has one region, {cat.DEFAULT_REGION!r}")
        if options.spot:
            raise error(ErrorCode.INVALID_SPEC, "spot machines exist only on the sim backend")
        if options.bootstrap is not None and not options.bootstrap.verify():
            raise error(ErrorCode.INVALID_SPEC, "bootstrap checksum does not match its content")

    def _from_row(
        self, row: sqlite3.Row, record: dict[str, Any] | None, info: dict[str, Any] | None = None
    ) -> OrbStackInstance | None:
        if record is not None:
            status = STATES.get(str(record.get("state", "")).lower(), InstanceStatus.UNKNOWN)
        elif row["terminated_at"] is not None:
            status = InstanceStatus.TERMINATED
        elif not row["created"] and self._clock() - row["created_at"] < self.cli.timeout_s:
            status = InstanceStatus.PENDING
        else:
            return None  # recorded as ours but gone from OrbStack: it vanished outside our control
        size = cat.SIZES.get(row["instance_type"])
        return OrbStackInstance(
            id=row["name"],
            status=status,
            provider=PROVIDER,
            name=row["name"],
            instance_type=row["instance_type"],
            region=row["region"],
            private_ip=_ip4(info),
            created_at=datetime.fromtimestamp(row["created_at"], UTC),
            tags=json.loads(row["tags"]),
            image=_image(record) or row["image"],
            vcpus=None if size is None else size.vcpus,
            memory_mib=None if size is None else size.memory_mib,
            gpus=0 if size is None else size.gpus,
            backend="orbctl",
        )


def _image(record: dict[str, Any] | None) -> str | None:
    image = (record or {}).get("image")
    if not isinstance(image, dict) or not image.get("distro"):
        return None
    return f"{image['distro']}:{image['version']}" if image.get("version") else str(image["distro"])


def _ip4(info: dict[str, Any] | None) -> str | None:
    # Not confirmed against a real `orb info`: look where the address would plausibly be.
    for where in (info or {}, (info or {}).get("record") or {}):
        value = where.get("ip4") if isinstance(where, dict) else None
        if isinstance(value, str) and value:
            return value
    return None
