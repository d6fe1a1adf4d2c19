"""The orbctl backend: real OrbStack machines through its CLI, with our tags in a local metadata file.

OrbStack machines have no tags, so tags, idempotency keys and sizes live in SQLite next to the sim's
state (`metadata_path`); only machines recorded there are listed or found, and the core shows (and lets
terminate reach) only those recorded with the management tag.
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
from provider_orbstack._db import Database, idempotency_key
from provider_orbstack._errors import PROVIDER, OrbctlFailure, error, map_error
from provider_orbstack._types import STATUS_MAP, OrbStackInstance

SCHEMA_VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS machines (
        name TEXT PRIMARY KEY, idempotency_key TEXT UNIQUE, instance_type TEXT NOT NULL,
        region TEXT NOT NULL, image TEXT NOT NULL, tags TEXT NOT NULL, created_at REAL NOT NULL,
        created INTEGER NOT NULL DEFAULT 0, terminated_at REAL)""",
)
# Verbs that act on one machine; without a name, `orb stop` would stop OrbStack itself.
MACHINE_VERBS = frozenset({"start", "stop", "restart", "delete", "info"})
RETENTION_S = 3600.0
# The `created` column: where a reservation's `orb create` stands. UNKNOWN: it timed out or crashed,
# so OrbStack may have made the machine or not; the reservation is kept until we know.
CREATING, CREATED, UNKNOWN = 0, 1, 2
ALREADY_EXISTS = "already exists"


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
        row, fresh = self._reserve(options)
        if not fresh:
            settled = self._settled(row)
            if settled is not None:
                return settled
        return self._attempt(row["name"], options, fresh=fresh)

    def _reserve(self, options: SpawnOptions) -> tuple[sqlite3.Row, bool]:
        """The row holding options' idempotency key, or a new reservation (then True)."""
        now = self._clock()
        with self.meta.write() as conn:
            conn.execute("DELETE FROM machines WHERE terminated_at < ?", (now - RETENTION_S,))
            key = idempotency_key(options.tags)
            if key is not None:
                row = conn.execute("SELECT * FROM machines WHERE idempotency_key = ?", (key,)).fetchone()
                if row is not None:
                    return row, False
            name = machine_name(options.name)
            # Reserved before `orb create` runs, so a concurrent spawn with the same key finds it.
            conn.execute(
                "INSERT INTO machines (name, idempotency_key, instance_type, region, image, tags,"
                " created_at, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    name,
                    key,
                    options.instance_type,
                    cat.DEFAULT_REGION,
                    options.image or cat.DEFAULT_IMAGE,
                    json.dumps(dict(options.tags), sort_keys=True),
                    now,
                    CREATING,
                ),
            )
            return conn.execute("SELECT * FROM machines WHERE name = ?", (name,)).fetchone(), True

    def _settled(self, row: sqlite3.Row) -> OrbStackInstance | None:
        """What an earlier spawn with this key left, or None when its create must be tried again."""
        name = row["name"]
        if row["created"] == CREATED or row["terminated_at"] is not None:
            existing = self._current(row)
            if existing is None:
                raise error(
                    ErrorCode.NOT_FOUND, f"the machine spawned with this idempotency key ({name}) is gone"
                )
            return existing
        landed = self._landed(name)
        if landed is not None:
            return landed
        if row["created"] == CREATING and not self._expired(row):
            return self._from_row(row, None)  # another call's `orb create` is still running
        # The earlier create's outcome was unknown and nothing appeared: try again under the same name,
        # which OrbStack keeps unique, so the two attempts cannot make two machines.
        with self.meta.write() as conn:
            conn.execute(
                "UPDATE machines SET created = ?, created_at = ? WHERE name = ? AND created != ?",
                (CREATING, self._clock(), name, CREATED),
            )
        return None

    def _attempt(self, name: str, options: SpawnOptions, *, fresh: bool) -> OrbStackInstance:
        try:
            self._create(name, options)
        except Exception as exc:
            if not _outcome_unknown(exc):
                with self.meta.write() as conn:
                    if fresh:  # nothing was made: release the key
                        conn.execute("DELETE FROM machines WHERE name = ?", (name,))
                    else:  # an earlier attempt's machine may still appear
                        conn.execute("UPDATE machines SET created = ? WHERE name = ?", (UNKNOWN, name))
                raise
            # Killed by the timeout or crashed: OrbStack may have made the machine anyway.
            landed = self._landed(name)
            if landed is not None:
                return landed
            with self.meta.write() as conn:
                conn.execute("UPDATE machines SET created = ? WHERE name = ?", (UNKNOWN, name))
            if isinstance(exc, OrbctlFailure) and ALREADY_EXISTS in exc.stderr.lower():
                raise error(
                    ErrorCode.UNAVAILABLE,
                    f"machine {name} is being created but OrbStack does not show it yet",
                ) from exc
            raise
        with self.meta.write() as conn:
            conn.execute("UPDATE machines SET created = ? WHERE name = ?", (CREATED, name))
            row = conn.execute("SELECT * FROM machines WHERE name = ?", (name,)).fetchone()
        found = None if row is None else self._current(row)
        if found is None:
            raise error(ErrorCode.UNAVAILABLE, f"machine {name} was created but OrbStack does not list it")
        return found

    def _landed(self, name: str) -> OrbStackInstance | None:
        """The reserved machine if OrbStack has it now, recorded as created; None if not (or unsure)."""
        try:
            info = self._info(name)
        except Exception:  # only a check: when it cannot be made, the reservation simply stays
            return None
        if info is None:
            return None
        with self.meta.write() as conn:
            conn.execute("UPDATE machines SET created = ? WHERE name = ?", (CREATED, name))
            row = conn.execute("SELECT * FROM machines WHERE name = ?", (name,)).fetchone()
        return None if row is None else self._from_row(row, _record(info), info)

    def _expired(self, row: sqlite3.Row) -> bool:
        # Any `orb create` still running was started less than one timeout ago.
        return bool(self._clock() - row["created_at"] >= self.cli.timeout_s)

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
        try:
            self.cli.run("delete", "-f", provider_id)
        except OrbctlFailure as exc:
            # Deleted behind our back: still recorded as terminated below, so its metadata is purged in time.
            if map_error(exc).code is not ErrorCode.NOT_FOUND:
                raise
        with self.meta.write() as conn:
            conn.execute("UPDATE machines SET terminated_at = ? WHERE name = ?", (self._clock(), provider_id))

    def list_instances(self, filter: ListFilter | None = None) -> list[OrbStackInstance]:
        # `orb list` cannot narrow: every machine is read, the core applies the filter.
        records = {r["name"]: r for r in self._records(self.cli.json("list", "--format", "json"))}
        with self.meta.read() as conn:
            rows = conn.execute("SELECT * FROM machines ORDER BY created_at, name").fetchall()
        found = (self._from_row(row, records.get(row["name"])) for row in rows)
        return [i for i in found if i is not None]

    def get_instance(self, provider_id: str) -> OrbStackInstance | None:
        row = self._row(provider_id)
        return None if row is None else self._current(row)

    def _current(self, row: sqlite3.Row) -> OrbStackInstance | None:
        info = None if row["terminated_at"] is not None else self._info(row["name"])
        return self._from_row(row, _record(info), info)

    def _row(self, name: str) -> sqlite3.Row | None:
        with self.meta.read() as conn:
            row: sqlite3.Row | None = conn.execute(
                "SELECT * FROM machines WHERE name = ?", (name,)
            ).fetchone()
        return row

    def _info(self, name: str) -> dict[str, Any] | None:
        """`orb info NAME` as JSON; None when OrbStack has no such machine."""
        try:
            info = self.cli.json("info", name, "--format", "json")
        except OrbctlFailure as exc:
            if map_error(exc).code is not ErrorCode.NOT_FOUND:
                raise
            return None
        return info if isinstance(info, dict) else None

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

    def _from_row(
        self, row: sqlite3.Row, record: dict[str, Any] | None, info: dict[str, Any] | None = None
    ) -> OrbStackInstance | None:
        if record is not None:
            status = STATUS_MAP.get(str(record.get("state", "")).lower(), InstanceStatus.UNKNOWN)
        elif row["terminated_at"] is not None:
            status = InstanceStatus.TERMINATED
        elif row["created"] != CREATED and not self._expired(row):
            status = InstanceStatus.PENDING
        else:
            return None  # recorded as ours but gone from OrbStack: it vanished outside our control
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
            **cat.size_fields(row["instance_type"]),
            backend="orbctl",
        )


def _outcome_unknown(exc: Exception) -> bool:
    """Whether `orb create` may have made the machine although it failed."""
    if isinstance(exc, subprocess.TimeoutExpired):
        return True
    if not isinstance(exc, OrbctlFailure):
        return False  # orb never ran (not installed, user-data file not written)
    if ALREADY_EXISTS in exc.stderr.lower():
        return True  # the name is reserved for us: an earlier or concurrent create of it got there
    return map_error(exc).code in {ErrorCode.UNAVAILABLE, ErrorCode.INTERNAL}


def _record(info: dict[str, Any] | None) -> dict[str, Any] | None:
    record = (info or {}).get("record")
    return record if isinstance(record, dict) else None


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
