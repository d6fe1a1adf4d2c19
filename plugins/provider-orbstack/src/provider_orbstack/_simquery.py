"""How the sim reads machines: the status computed in SQL, and a ListFilter narrowed to a WHERE clause.

A listing builds an instance only for the rows it returns: unmanaged machines, and those another status,
region, name or tag excludes, are never read out of SQLite (the core still applies the filter again).
"""

from __future__ import annotations

from typing import Any

from provider_core import ListFilter
from provider_core.author import MANAGED_TAG

# A machine's status follows from its timestamps at read time (see _sim.py); :now is the reader's clock.
STATUS = (
    "CASE WHEN terminate_at IS NOT NULL THEN"
    " CASE WHEN :now >= gone_at THEN 'terminated' ELSE 'terminating' END"
    " WHEN status_override IS NOT NULL AND status_override != '' THEN status_override"
    " WHEN :now >= ready_at THEN 'running' ELSE 'pending' END"
)
# The columns SimBackend.instance() reads, in its order; bootstrap scripts stay in the database.
SELECT = (
    f"SELECT id, {STATUS}, name, instance_type, region, private_ip, created_at, tags, spot, status_reason,"  # noqa: S608
    " image FROM machines"
)


def _tag_is(key: str, value: str, n: int, params: dict[str, Any]) -> str:
    params[f"key{n}"], params[f"value{n}"] = key, value
    # json_each, not a JSON path: a tag key may hold any character, a path would need escaping.
    return f"EXISTS (SELECT 1 FROM json_each(tags) WHERE key = :key{n} AND value = :value{n})"  # noqa: S608


def narrowing(wanted: ListFilter | None, now: float) -> tuple[str, dict[str, Any]]:
    """A WHERE clause and its parameters for the managed machines wanted matches."""
    wanted = wanted or ListFilter()
    params: dict[str, Any] = {"now": now}
    clauses = [_tag_is(MANAGED_TAG, "true", 0, params)]
    for n, (key, value) in enumerate(wanted.tags.items(), start=1):
        clauses.append(_tag_is(key, value, n, params))
    if wanted.statuses is not None:
        names = [f":status{n}" for n in range(len(wanted.statuses))]
        params.update(zip((name[1:] for name in names), (s.value for s in wanted.statuses), strict=True))
        clauses.append(f"({STATUS}) IN ({', '.join(names) or 'NULL'})")
    if wanted.region is not None:
        params["region"] = wanted.region
        clauses.append("region = :region")
    if wanted.name_prefix:
        params["prefix"] = wanted.name_prefix
        clauses.append("substr(name, 1, length(:prefix)) = :prefix")
    return " AND ".join(clauses), params
