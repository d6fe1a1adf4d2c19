"""The sim backend: machines, snapshots and spot requests in SQLite, shared by every process.

Nothing runs in the background: a machine's status follows from its timestamps at read time
(pending until ready_at, terminating until gone_at), so any process computes the same answer.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import cast

import attrs
from attrs import field, frozen

from provider_core import (
    ErrorCode,
    InstanceStatus,
    ListFilter,
    ProviderInstance,
    ProviderSnapshot,
    SnapshotStatus,
    SpawnOptions,
    SpotPrice,
    SpotRequest,
    SpotRequestStatus,
)
from provider_core.author import MANAGED_TAG, ManagedResource, build_instance, gc_paused
from provider_orbstack import _catalog as cat
from provider_orbstack._db import Database, idempotency_key
from provider_orbstack._errors import PROVIDER, error
from provider_orbstack._simquery import SELECT, narrowing
from provider_orbstack._types import OrbStackInstance

SCHEMA_VERSION = 1
SCHEMA = (
    """CREATE TABLE IF NOT EXISTS machines (
        id TEXT PRIMARY KEY, name TEXT NOT NULL, instance_type TEXT NOT NULL, region TEXT NOT NULL,
        image TEXT NOT NULL, spot INTEGER NOT NULL, tags TEXT NOT NULL, idempotency_key TEXT UNIQUE,
        private_ip TEXT, created_at REAL NOT NULL, ready_at REAL NOT NULL,
        terminate_at REAL, gone_at REAL, status_override TEXT, status_reason TEXT,
        bootstrap_format TEXT, bootstrap_content TEXT, bootstrap_checksum TEXT)""",
    "CREATE INDEX IF NOT EXISTS machines_live ON machines(terminate_at, region, instance_type)",
    """CREATE TABLE IF NOT EXISTS snapshots (
        id TEXT PRIMARY KEY, machine_id TEXT NOT NULL, name TEXT NOT NULL, size_gb INTEGER NOT NULL,
        created_at REAL NOT NULL, ready_at REAL NOT NULL, deleted_at REAL)""",
    """CREATE TABLE IF NOT EXISTS spot_requests (
        id TEXT PRIMARY KEY, instance_type TEXT NOT NULL, region TEXT NOT NULL, max_price REAL NOT NULL,
        status TEXT NOT NULL, instance_id TEXT, created_at REAL NOT NULL)""",
)
LIVE = "terminate_at IS NULL"
# A listing looks each row's status up here: the converter then takes the member as it is.
_STATUSES = {status.value: status for status in InstanceStatus}
SNAPSHOT_SIZE_GB = 8


def _capacity(value: Mapping[tuple[str, str], int] | None) -> dict[tuple[str, str], int]:
    return {**cat.CAPACITY, **(value or {})}


@frozen
class SimConfig:
    boot_delay: float = 2.0
    terminate_delay: float = 1.0
    snapshot_delay: float = 2.0
    max_instances: int = cat.DEFAULT_MAX_INSTANCES
    max_vcpus: int = cat.DEFAULT_MAX_VCPUS
    # (instance type, region) -> live machines it holds; missing pairs hold none.
    capacity: Mapping[tuple[str, str], int] = field(factory=dict, converter=_capacity)
    # Terminated machines stay visible this long, then are purged.
    retention_s: float = 3600.0


class SimBackend:
    name = "sim"

    def __init__(self, path: str | Path, config: SimConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.db = Database(path, SCHEMA, SCHEMA_VERSION)
        self._clock = clock

    # -- machines ----------------------------------------------------------------------------------

    def spawn(self, options: SpawnOptions) -> OrbStackInstance:
        size, region = self._validate(options)
        if options.spot and options.max_price_per_hour is not None:
            self._check_spot_price(options.instance_type, region, options.max_price_per_hour)
        with self.db.write() as conn:
            return self._spawn(conn, options, size, region)

    def _spawn(
        self, conn: sqlite3.Connection, options: SpawnOptions, size: cat.Size, region: str
    ) -> OrbStackInstance:
        now = self._clock()
        conn.execute("DELETE FROM machines WHERE gone_at < ?", (now - self.config.retention_s,))
        key = idempotency_key(options.tags)
        if key is not None:
            earlier = self._read_one(conn, "idempotency_key = :key", {"key": key}, now)
            if earlier is not None:
                if (earlier.instance_type, earlier.region) != (options.instance_type, region):
                    raise error(
                        ErrorCode.INVALID_SPEC,
                        f"idempotency key {key!r} was used for a "
                        f"{earlier.instance_type} machine in {earlier.region}",
                    )
                return earlier
        self._check_limits(conn, options.instance_type, size, region)
        machine_id = "orb-" + secrets.token_hex(6)
        boot = options.bootstrap
        conn.execute(
            "INSERT INTO machines (id, name, instance_type, region, image, spot, tags, idempotency_key,"
            " private_ip, created_at, ready_at, bootstrap_format, bootstrap_content, bootstrap_checksum)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                machine_id,
                options.name,
                options.instance_type,
                region,
                options.image or cat.DEFAULT_IMAGE,
                int(options.spot),
                json.dumps(dict(options.tags), sort_keys=True),
                key,
                f"198.19.249.{int(machine_id[4:8], 16) % 250 + 2}",
                now,
                now + self.config.boot_delay,
                None if boot is None else boot.format.value,
                None if boot is None else boot.content,
                None if boot is None else boot.checksum,
            ),
        )
        made = self._read_one(conn, "id = :id", {"id": machine_id}, now)
        assert made is not None  # inserted just above, in the same transaction
        return made

    def _check_limits(
        self, conn: sqlite3.Connection, instance_type: str, size: cat.Size, region: str
    ) -> None:
        counts = conn.execute(
            f"SELECT instance_type, region, COUNT(*) AS n FROM machines WHERE {LIVE}"  # noqa: S608
            " GROUP BY instance_type, region"
        ).fetchall()
        total = sum(r["n"] for r in counts)
        vcpus = sum(
            cat.SIZES[r["instance_type"]].vcpus * r["n"] for r in counts if r["instance_type"] in cat.SIZES
        )
        if total >= self.config.max_instances:
            raise error(ErrorCode.QUOTA_EXCEEDED, f"instance quota reached ({self.config.max_instances})")
        if vcpus + size.vcpus > self.config.max_vcpus:
            raise error(
                ErrorCode.QUOTA_EXCEEDED,
                f"vCPU quota reached ({vcpus} of {self.config.max_vcpus} in use, {size.vcpus} asked)",
            )
        here = next(
            (r["n"] for r in counts if (r["instance_type"], r["region"]) == (instance_type, region)), 0
        )
        if here >= self.config.capacity.get((instance_type, region), 0):
            raise error(ErrorCode.CAPACITY_ERROR, f"no {instance_type} capacity left in {region}")

    def terminate(self, provider_id: str) -> None:
        now = self._clock()
        # LIVE: a second terminate racing the first must not restart the machine's way out.
        with self.db.write() as conn:
            conn.execute(
                f"UPDATE machines SET terminate_at = ?, gone_at = ? WHERE id = ? AND {LIVE}",  # noqa: S608
                (now, now + self.config.terminate_delay, provider_id),
            )

    def list_instances(self, filter: ListFilter | None = None) -> list[ProviderInstance]:
        """The managed machines filter matches, narrowed in SQL (unmanaged machines are never listed), as
        generic instances: a listing at scale costs one object per row."""
        where, params = narrowing(filter, self._clock())
        # Every instance a listing builds lives on: no collection could free any while it runs.
        with self.db.read() as conn, gc_paused():
            return self._read(conn, f"{where} ORDER BY rowid", params)

    def get_instance(self, provider_id: str) -> OrbStackInstance | None:
        with self.db.read() as conn:
            return self._read_one(conn, "id = :id", {"id": provider_id}, self._clock())

    def stored_bootstrap(self, provider_id: str) -> tuple[str, str, str] | None:
        """(format, content, checksum) kept with a machine, for inspection in tests and debugging."""
        with self.db.read() as conn:
            row = conn.execute(
                "SELECT bootstrap_format, bootstrap_content, bootstrap_checksum FROM machines WHERE id = ?",
                (provider_id,),
            ).fetchone()
        return None if row is None or row[0] is None else (row[0], row[1], row[2])

    def set_status(self, provider_id: str, status: InstanceStatus, reason: str) -> None:
        """Force a live machine into a status (stopped, error): how tests and operators stage drift."""
        with self.db.write() as conn:
            conn.execute(
                f"UPDATE machines SET status_override = ?, status_reason = ? WHERE id = ? AND {LIVE}",  # noqa: S608
                (status.value, reason, provider_id),
            )

    def health(self) -> str:
        with self.db.read() as conn:
            live = conn.execute(f"SELECT COUNT(*) FROM machines WHERE {LIVE}").fetchone()[0]  # noqa: S608
        return f"sim database {self.db.path} schema v{self.db.schema_version()}, {live} live machine(s)"

    # -- snapshots ---------------------------------------------------------------------------------

    def create_snapshot(self, provider_id: str, name: str) -> ProviderSnapshot:
        now = self._clock()
        snapshot_id = "snap-" + secrets.token_hex(6)
        with self.db.write() as conn:
            # The core checked that provider-core manages it; a terminated machine has no disk left.
            machine = conn.execute(
                f"SELECT 1 FROM machines WHERE id = ? AND {LIVE}",  # noqa: S608
                (provider_id,),
            ).fetchone()
            if machine is None:
                raise error(ErrorCode.NOT_FOUND, f"no live machine {provider_id}")
            conn.execute(
                "INSERT INTO snapshots (id, machine_id, name, size_gb, created_at, ready_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (snapshot_id, provider_id, name, SNAPSHOT_SIZE_GB, now, now + self.config.snapshot_delay),
            )
        return ProviderSnapshot(
            id=snapshot_id,
            provider=PROVIDER,
            status=self._snapshot_status(now + self.config.snapshot_delay, None, now),
            source_instance_id=provider_id,
            name=name,
            created_at=datetime.fromtimestamp(now, UTC),
            size_gb=SNAPSHOT_SIZE_GB,
        )

    def get_snapshot_status(self, snapshot_id: str) -> SnapshotStatus:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM snapshots WHERE id = ?", (snapshot_id,)).fetchone()
        if row is None:
            raise error(ErrorCode.NOT_FOUND, f"no snapshot {snapshot_id}")
        return self._snapshot_status(row["ready_at"], row["deleted_at"], self._clock())

    def delete_snapshot(self, snapshot_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE snapshots SET deleted_at = ? WHERE id = ? AND deleted_at IS NULL",
                (self._clock(), snapshot_id),
            )

    @staticmethod
    def _snapshot_status(ready_at: float, deleted_at: float | None, now: float) -> SnapshotStatus:
        if deleted_at is not None:
            return SnapshotStatus.DELETED
        return SnapshotStatus.AVAILABLE if now >= ready_at else SnapshotStatus.PENDING

    # -- spot --------------------------------------------------------------------------------------

    def request_spot_instance(self, options: SpawnOptions, max_price_per_hour: float) -> SpotRequest:
        size, region = self._validate(options)
        price = cat.spot_price(options.instance_type, region)
        request_id = "sir-" + secrets.token_hex(6)
        with self.db.write() as conn:
            instance = None
            if max_price_per_hour >= price:
                spot_options = attrs.evolve(options, spot=True, max_price_per_hour=max_price_per_hour)
                instance = self._spawn(conn, spot_options, size, region)
                existing = conn.execute(
                    "SELECT * FROM spot_requests WHERE instance_id = ?", (instance.id,)
                ).fetchone()
                if existing is not None:
                    return self._spot_request(existing)
            conn.execute(
                "INSERT INTO spot_requests (id, instance_type, region, max_price, status, instance_id,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    request_id,
                    options.instance_type,
                    region,
                    max_price_per_hour,
                    (SpotRequestStatus.ACTIVE if instance else SpotRequestStatus.OPEN).value,
                    None if instance is None else instance.id,
                    self._clock(),
                ),
            )
            row = conn.execute("SELECT * FROM spot_requests WHERE id = ?", (request_id,)).fetchone()
        return self._spot_request(row)

    def cancel_spot_request(self, request_id: str) -> None:
        with self.db.write() as conn:
            conn.execute(
                "UPDATE spot_requests SET status = ? WHERE id = ? AND status IN (?, ?)",
                (
                    SpotRequestStatus.CANCELLED.value,
                    request_id,
                    SpotRequestStatus.OPEN.value,
                    SpotRequestStatus.ACTIVE.value,
                ),
            )

    def get_spot_request(self, request_id: str) -> SpotRequest | None:
        with self.db.read() as conn:
            row = conn.execute("SELECT * FROM spot_requests WHERE id = ?", (request_id,)).fetchone()
        return None if row is None else self._spot_request(row)

    def get_spot_prices(self, instance_type: str, region: str | None) -> list[SpotPrice]:
        if instance_type not in cat.SIZES:
            raise error(ErrorCode.INVALID_SPEC, f"unknown instance type {instance_type!r}")
        regions = cat.REGIONS if region is None else (self._region(region),)
        stamp = datetime.fromtimestamp(self._clock(), UTC)
        return [
            SpotPrice(instance_type, cat.spot_price(instance_type, r), region=r, timestamp=stamp)
            for r in regions
        ]

    # -- sweeping ----------------------------------------------------------------------------------

    def sweep_resources(self) -> list[ManagedResource]:
        """Live snapshots and open spot requests, all created through provider-core: a snapshot carries its
        machine's tags (while the machine is kept), a spot request its instance's."""
        managed = {MANAGED_TAG: "true"}
        with self.db.read() as conn:
            snapshots = conn.execute(
                "SELECT s.id, s.machine_id, m.tags, m.region FROM snapshots s"
                " LEFT JOIN machines m ON m.id = s.machine_id WHERE s.deleted_at IS NULL"
            ).fetchall()
            requests = conn.execute(
                "SELECT r.id, r.region, m.tags FROM spot_requests r"
                " LEFT JOIN machines m ON m.id = r.instance_id WHERE r.status = ?",
                (SpotRequestStatus.OPEN.value,),
            ).fetchall()
        return [
            ManagedResource(
                "snapshot", row["id"], {**json.loads(row["tags"] or "{}"), **managed}, row["region"]
            )
            for row in snapshots
        ] + [
            ManagedResource(
                "spot-request", row["id"], {**json.loads(row["tags"] or "{}"), **managed}, row["region"]
            )
            for row in requests
        ]

    def delete_resource(self, resource: ManagedResource) -> None:
        if resource.kind == "snapshot":
            self.delete_snapshot(resource.id)
        elif resource.kind == "spot-request":
            self.cancel_spot_request(resource.id)
        else:
            raise error(ErrorCode.INVALID_SPEC, f"the sim creates no {resource.kind}")

    @staticmethod
    def _spot_request(row: sqlite3.Row) -> SpotRequest:
        return SpotRequest(
            id=row["id"],
            provider=PROVIDER,
            status=row["status"],
            instance_type=row["instance_type"],
            region=row["region"],
            max_price_per_hour=row["max_price"],
            instance_id=row["instance_id"],
        )

    def _check_spot_price(self, instance_type: str, region: str, max_price: float) -> None:
        price = cat.spot_price(instance_type, region)
        if max_price < price:
            raise error(
                ErrorCode.INVALID_SPEC,
                f"max_price_per_hour {max_price:g} is below the {instance_type} spot price "
                f"{price:g} in {region}",
            )

    # -- shared ------------------------------------------------------------------------------------

    def _validate(self, options: SpawnOptions) -> tuple[cat.Size, str]:
        size = cat.SIZES.get(options.instance_type)
        if size is None:
            raise error(
                ErrorCode.INVALID_SPEC,
                f"unknown instance type {options.instance_type!r}; known: {', '.join(cat.SIZES)}",
            )
        return size, self._region(options.region or cat.DEFAULT_REGION)

    @staticmethod
    def _region(region: str) -> str:
        if region not in cat.REGIONS:
            raise error(ErrorCode.INVALID_SPEC, f"unknown region {region!r}; known: {', '.join(cat.REGIONS)}")
        return region

    def _read_one(
        self, conn: sqlite3.Connection, where: str, params: dict[str, object], now: float
    ) -> OrbStackInstance | None:
        found = self._read(conn, where, {**params, "now": now}, enhanced=True)
        return cast(OrbStackInstance, found[0]) if found else None

    @staticmethod
    def _read(
        conn: sqlite3.Connection, where: str, params: Mapping[str, object], enhanced: bool = False
    ) -> list[ProviderInstance]:
        """Instances built straight from the cursor, so the rows are never all held at once.

        A listing builds generic instances (one object per row, by build_instance): an OrbStackInstance
        would cost a validated constructor per row and the core would project it away. get and spawn
        return the enhanced type (enhanced=True).
        """
        cursor = conn.cursor()
        cursor.row_factory = None  # plain tuples: a listing unpacks every row
        parsed_tags: dict[str, dict[str, str]] = {}  # machines of one deployment share their tag sets
        made: list[ProviderInstance] = []
        # Names bound once: the loop body runs for every row of a listing.
        append, build, statuses, moment = made.append, build_instance, _STATUSES, datetime.fromtimestamp
        rows = cursor.execute(f"{SELECT} WHERE {where}", params)
        for machine_id, status, name, size, region, ip, created_at, tags, spot, reason, image in rows:
            parsed = parsed_tags.get(tags)
            if parsed is None:
                parsed = parsed_tags[tags] = json.loads(tags)
            instance = build(
                machine_id,
                statuses[status],
                PROVIDER,
                name,
                size,
                region,
                None,
                ip,
                moment(created_at, UTC),
                parsed,  # copied, so instances never share the cached dict
                bool(spot),
                reason,
            )
            append(_enhance(instance, image) if enhanced else instance)
        return made


def _enhance(instance: ProviderInstance, image: str) -> OrbStackInstance:
    fields = attrs.asdict(instance, recurse=False)
    return OrbStackInstance(
        **fields, image=image, **cat.size_fields(instance.instance_type or ""), backend="sim"
    )
