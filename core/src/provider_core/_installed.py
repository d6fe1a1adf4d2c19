"""What is installed, read from the registration index when it is current (see _index.py), else scanned.

Kept apart from _index, which the registry imports to save its scans, so the light read path (this module)
may call discover() when it must without an import cycle.
"""

from __future__ import annotations

import os

from provider_core._claims import PIN_ENV, parse_pins
from provider_core._index import Inventory, pins_key, read

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping


def installed(pins: Mapping[str, str] | None = None) -> Inventory:
    """What is installed, from the index when it is current, else from a full scan (which saves it).

    pins: as for discover(); None reads PROVIDER_CORE_PIN.
    """
    key = pins_key(parse_pins(os.environ.get(PIN_ENV, "")) if pins is None else pins)
    data = read(key)
    if data is not None:
        return Inventory(data, from_index=True)
    from provider_core._registry import discover

    scanned = discover(pins=pins).scanned
    assert scanned is not None  # discover() always records its scan
    return Inventory(scanned, from_index=False)


def indexed_listing_json() -> str | None:
    """`providers list --json` straight from a current index; None when a scan is needed."""
    try:
        key = pins_key(parse_pins(os.environ.get(PIN_ENV, "")))
    except ValueError:
        return None  # the full path reports the malformed variable
    data = read(key)
    return None if data is None else str(data["listing_json"])
