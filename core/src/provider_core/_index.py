"""The registration index: what the last scan of installed distributions found, saved for the next process.

`providers list` and `provider_core.installed()` read every registration (name, tier, version, flags,
settings, description) from here, so they import no provider, no SDK, no pluggy, attrs or
importlib.metadata: together those cost several times an interpreter's start. The index is one file per
interpreter in the user's cache directory (PROVIDER_CORE_INDEX: another directory, or `off`), keyed by a
fingerprint of sys.path (each entry's modification time and its *.dist-info / *.egg-info names), the
modification times of the files the scan depended on (the providers' and plugins' modules, their
entry_points.txt) and the pins. Installing, removing or editing any of them makes the next reader scan
again (a full `discover()`), which saves a fresh index. Standard library only, and little of it: marshal
and binascii are built in.
"""

from __future__ import annotations

import binascii
import marshal
import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol

    from provider_core._registration import ProviderRegistration

    class Scanned(Protocol):
        """The registry a scan just filled (a Protocol: _registry imports this module)."""

        incomplete: bool

        @property
        def config(self) -> Any: ...
        def registrations(self) -> dict[str, ProviderRegistration]: ...
        def source(self, name: str) -> str: ...
        def broken(self) -> dict[str, str]: ...
        def broken_plugins(self) -> dict[str, str]: ...
        def conflicts(self) -> dict[str, dict[str, object]]: ...


INDEX_ENV = "PROVIDER_CORE_INDEX"
# Bumped whenever the saved shape changes, so an older index is simply rebuilt.
FORMAT = 1


class InstalledProvider:
    """A working provider as its registration describes it, read without importing it."""

    __slots__ = ("capabilities", "description", "distribution", "name", "settings", "tier", "version")

    def __init__(self, record: Mapping[str, Any]) -> None:
        self.name: str = record["name"]
        self.version: str | None = record["version"]
        self.tier: str = record["tier"]
        # "distribution version": where it came from.
        self.distribution: str = record["distribution"]
        self.description: str = record["description"]
        self.capabilities: dict[str, bool] = dict(record["capabilities"])
        self.settings = tuple(InstalledSetting(**setting) for setting in record["settings"])

    def __repr__(self) -> str:
        return f"InstalledProvider({self.name!r}, {self.version!r}, {self.tier!r}, {self.distribution!r})"


class InstalledSetting:
    """A declared setting: its name, environment variable, whether it is secret, what it means."""

    __slots__ = ("description", "env", "name", "secret")

    def __init__(self, name: str, env: str | None, secret: bool, description: str) -> None:
        self.name = name
        self.env = env
        self.secret = secret
        self.description = description

    def __repr__(self) -> str:
        return f"InstalledSetting({self.name!r}, env={self.env!r}, secret={self.secret})"


class Inventory:
    """Every installed provider and plugin as the last scan found them (`provider_core.installed()`)."""

    def __init__(self, data: Mapping[str, Any], *, from_index: bool) -> None:
        self.providers = {record["name"]: InstalledProvider(record) for record in data["providers"]}
        self.broken: dict[str, str] = dict(data["broken"])
        self.broken_plugins: dict[str, str] = dict(data["broken_plugins"])
        # Names published by several distributions: {"distributions": [...], "pinned": DIST | None}.
        self.conflicts: dict[str, dict[str, Any]] = {k: dict(v) for k, v in data["conflicts"].items()}
        # True when read from the saved index, False when this call had to scan.
        self.from_index = from_index
        self._listing_json: str = data["listing_json"]

    def listing(self) -> dict[str, Any]:
        """The document `providers list --json` prints."""
        return _listing(self.providers.values(), self.broken, self.broken_plugins, self.conflicts)

    def listing_json(self) -> str:
        return self._listing_json


def remember(registry: Scanned, files: list[tuple[str, int]]) -> dict[str, Any]:
    """The index data for a registry a scan just filled; saved unless an entry point hit its deadline."""
    providers = [
        {
            **summary(registration, registry.source(name)),
            "settings": [
                {"name": s.name, "env": s.env, "secret": s.secret, "description": s.description}
                for s in registration.declared_settings()
            ],
        }
        for name, registration in registry.registrations().items()
    ]
    data: dict[str, Any] = {
        "format": FORMAT,
        "python": sys.version,
        "fingerprint": _fingerprint(),
        "files": tuple(files),
        "pins": pins_key(registry.config.pins),
        "providers": providers,
        "broken": registry.broken(),
        "broken_plugins": registry.broken_plugins(),
        "conflicts": registry.conflicts(),
    }
    inventory = Inventory({**data, "listing_json": ""}, from_index=False)
    data["listing_json"] = render(inventory.listing())
    if not registry.incomplete and read(data["pins"]) is None:
        _write(data)
    return data


def summary(registration: ProviderRegistration, source: str) -> dict[str, Any]:
    """A registration as `providers list` and `providers info` show it."""
    from provider_core._capabilities import Capabilities

    caps = registration.capabilities
    return {
        "name": registration.name,
        "version": registration.version,
        "tier": registration.tier.value,
        "distribution": source,
        "description": registration.description,
        "capabilities": {flag: getattr(caps, flag) for flag in Capabilities.flag_names()},
    }


def render(document: Mapping[str, Any]) -> str:
    """JSON as the CLI prints it (cli/_output.py Output.json), so both paths print the same bytes."""
    import json

    return json.dumps(document, indent=2, default=str) + "\n"


def _listing(
    providers: Any, broken: dict[str, str], broken_plugins: dict[str, str], conflicts: dict[str, Any]
) -> dict[str, Any]:
    summaries = [
        {
            "name": p.name,
            "version": p.version,
            "tier": p.tier,
            "distribution": p.distribution,
            "description": p.description,
            "capabilities": dict(p.capabilities),
        }
        for p in providers
    ]
    return {
        "providers": summaries,
        "broken": broken,
        "broken_plugins": broken_plugins,
        "conflicts": conflicts,
    }


def pins_key(pins: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(pins.items()))


def _path() -> str | None:
    folder = os.environ.get(INDEX_ENV, "").strip()
    if folder == "off":
        return None
    if not folder:
        cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        folder = os.path.join(cache, "provider-core")
    # One file per interpreter: two virtual environments never share an index.
    key = binascii.crc32(f"{sys.executable}\0{sys.prefix}".encode())
    return os.path.join(folder, f"index-{key:08x}.marshal")


def _fingerprint() -> tuple[tuple[str, int | None, tuple[str, ...]], ...]:
    """Each sys.path entry with its modification time and the distributions it holds."""
    entries = []
    for entry in sys.path:
        try:
            mtime: int | None = os.stat(entry or ".").st_mtime_ns
            names = tuple(
                sorted(n for n in os.listdir(entry or ".") if n.endswith((".dist-info", ".egg-info")))
            )
        except OSError:  # absent, or a file (a zip archive): its mtime alone, if any
            mtime = _mtime(entry)
            names = ()
        entries.append((entry, mtime, names))
    return tuple(entries)


def _mtime(path: str) -> int | None:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return None


def read(pins: tuple[tuple[str, str], ...]) -> dict[str, Any] | None:
    """The saved index when it is current for this interpreter, sys.path and pins; None otherwise."""
    path = _path()
    if path is None:
        return None
    try:
        with open(path, "rb") as file:
            owner = os.fstat(file.fileno())
            # Only a file this user wrote and nobody else can change: marshal trusts what it reads.
            if owner.st_uid != os.getuid() or owner.st_mode & 0o022:
                return None
            data = marshal.load(file)  # noqa: S302 (see above; json would cost this path a tenth of a start)
        current = (
            data["format"] == FORMAT
            and data["python"] == sys.version
            and data["pins"] == pins
            and data["fingerprint"] == _fingerprint()
            and all(_mtime(file_path) == mtime for file_path, mtime in data["files"])
        )
        # A corrupt or hand-edited file fails here or in Inventory(): a scan rebuilds it.
        if current and isinstance(data["listing_json"], str):
            Inventory(data, from_index=True)
            return data  # type: ignore[no-any-return]
    except (OSError, EOFError, ValueError, TypeError, KeyError, AttributeError):
        pass
    return None


def _write(data: Mapping[str, Any]) -> None:
    path = _path()
    if path is None:
        return
    temporary = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(temporary, "wb") as file:
            marshal.dump(dict(data), file)
        os.replace(temporary, path)  # readers see the old index or the new one, never half of one
    except (OSError, ValueError):
        # A read-only home only costs speed: the next reader scans again.
        try:  # noqa: SIM105 (contextlib would cost the listing path more than the rest of this module)
            os.remove(temporary)
        except OSError:
            pass
