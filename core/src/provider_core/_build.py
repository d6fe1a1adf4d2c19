"""Building many instances: build_instance (the constructor, a few times faster) and gc_paused.

A listing of 100,000 machines builds 100,000 instances; the attrs constructor's validators and converters
(about 2.5 us each on a quiet core) would cost more than reading the rows. build_instance tests, in one
expression, that every value is of the kind the constructor keeps as it is; such values are set straight
into the slots. Any other value goes through the constructor itself, which converts it or raises its usual
ValueError, so the two never disagree (tests/provider_core/test_core_build.py holds them to it).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from functools import partial

from provider_core._convert import slot_setter
from provider_core._types import InstanceStatus, ProviderInstance
from provider_core._validate import MAX_TEXT

_new = object.__new__
_slot = partial(slot_setter, ProviderInstance)
_id, _status, _provider, _name = _slot("id"), _slot("status"), _slot("provider"), _slot("name")
_type, _region, _public_ip, _private_ip = (
    _slot("instance_type"), _slot("region"), _slot("public_ip"), _slot("private_ip")
)  # fmt: skip
_created_at, _tags, _spot = _slot("created_at"), _slot("tags"), _slot("spot")
_reason, _interrupted = _slot("status_reason"), _slot("spot_interrupted")


def build_instance(
    id: str,
    status: InstanceStatus,
    provider: str,
    name: str | None = None,
    instance_type: str | None = None,
    region: str | None = None,
    public_ip: str | None = None,
    private_ip: str | None = None,
    created_at: datetime | None = None,
    tags: Mapping[str, str] | None = None,
    spot: bool = False,
    status_reason: str | None = None,
    spot_interrupted: bool = False,
) -> ProviderInstance:
    """ProviderInstance(...) with the same arguments, the same result and the same errors; fast for plain
    values (an InstanceStatus member, an ASCII id and provider, tags as a dict, which is copied)."""
    if (
        type(status) is not InstanceStatus
        or type(id) is not str
        or type(provider) is not str
        or (tags is not None and type(tags) is not dict)
        # v.text() for id and provider: an ASCII string needs no check that it encodes.
        or not (id.isascii() and provider.isascii())
        or not (0 < len(id) <= MAX_TEXT and 0 < len(provider) <= MAX_TEXT)
        or "\x00" in id
        or "\x00" in provider
    ):
        return ProviderInstance(
            id, status, provider, name, instance_type, region, public_ip, private_ip, created_at,
            tags, spot, status_reason, spot_interrupted,
        )  # fmt: skip
    new = _new(ProviderInstance)
    _id(new, id)
    _status(new, status)
    _provider(new, provider)
    _name(new, name)
    _type(new, instance_type)
    _region(new, region)
    _public_ip(new, public_ip)
    _private_ip(new, private_ip)
    _created_at(new, created_at)
    _tags(new, {} if tags is None else dict(tags))
    _spot(new, spot)
    _reason(new, status_reason)
    _interrupted(new, spot_interrupted)
    return new


_pause_lock = threading.Lock()
_pausers = 0
_paused_by_us = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a loop builds thousands of objects that all live on.

    Each few hundred new objects would start a collection, and every few of those a pass over the whole
    heap, which finds nothing to free in a freshly built listing (a sixth of a 100,000-row sim listing
    here; more in a control plane with a large heap). Reference counting still frees everything else. The
    collector runs again when the last pauser (of any thread) leaves, unless the application had it off.
    """
    global _pausers, _paused_by_us
    with _pause_lock:
        if _pausers == 0:
            _paused_by_us = gc.isenabled()
            gc.disable()
        _pausers += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pausers -= 1
            if _pausers == 0 and _paused_by_us:
                gc.enable()
