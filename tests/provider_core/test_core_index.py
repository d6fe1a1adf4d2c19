"""The registration index: read without importing providers, rebuilt whenever what is installed changes."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.provider_core.distributions import make_distribution, run_python

PROVIDERS = "provider_core.providers"
REGISTRATION = """
from provider_core.testing.memory import registration as memory
registration = memory(name={name!r}, description={description!r})
"""
READ = """
import json, sys, provider_core
inventory = provider_core.installed()
print(json.dumps({"from_index": inventory.from_index, "names": sorted(inventory.providers),
                  "descriptions": {n: p.description for n, p in inventory.providers.items()},
                  "settings": {n: [s.name for s in p.settings] for n, p in inventory.providers.items()},
                  "heavy": sorted(m for m in sys.modules if m == "importlib.metadata" or m.split(".")[0] in
                                  {"attrs", "cattrs", "pluggy", "provider_aws", "extra_reg"})}))
"""


@pytest.fixture
def index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "index"
    monkeypatch.setenv("PROVIDER_CORE_INDEX", str(folder))
    return folder


def _extra(root: Path, description: str = "first") -> None:
    make_distribution(
        root,
        "provider-extra",
        {PROVIDERS: {"extra": "extra_reg:registration"}},
        {"extra_reg": REGISTRATION.format(name="extra", description=description)},
    )


def test_the_index_is_rebuilt_when_a_distribution_is_installed_or_removed(
    tmp_path: Path, index: Path
) -> None:
    site = tmp_path / "site"
    site.mkdir()
    first = run_python(site, READ)
    assert first["from_index"] is False, "nothing saved yet: a full scan"
    second = run_python(site, READ)
    assert second["from_index"] is True
    assert second["names"] == first["names"]
    assert second["settings"]["aws"] == first["settings"]["aws"] != []
    assert second["heavy"] == [], "reading the index imports no provider, attrs, pluggy or importlib.metadata"

    _extra(site)
    installed = run_python(site, READ)
    assert installed["from_index"] is False, "a new distribution on sys.path makes the index stale"
    assert "extra" in installed["names"]
    assert run_python(site, READ)["from_index"] is True

    shutil.rmtree(next(site.glob("provider_extra-*.dist-info")))
    removed = run_python(site, READ)
    assert removed["from_index"] is False
    assert "extra" not in removed["names"]


def test_an_edited_registration_module_is_read_again(tmp_path: Path, index: Path) -> None:
    _extra(tmp_path)
    assert run_python(tmp_path, READ)["descriptions"]["extra"] == "first"
    module = tmp_path / "extra_reg.py"
    module.write_text(REGISTRATION.format(name="extra", description="second"))
    stat = module.stat()
    os.utime(module, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    edited = run_python(tmp_path, READ)
    assert edited["from_index"] is False
    assert edited["descriptions"]["extra"] == "second"


@pytest.mark.parametrize("garbage", [b"", b"\x00not marshal", b"\xe9\x01\x00\x00\x00"])
def test_a_corrupt_index_falls_back_to_a_full_scan(tmp_path: Path, index: Path, garbage: bytes) -> None:
    _extra(tmp_path)
    run_python(tmp_path, READ)
    (saved,) = index.glob("index-*")
    saved.write_bytes(garbage)
    found = run_python(tmp_path, READ)
    assert found["from_index"] is False
    assert "extra" in found["names"]
    assert run_python(tmp_path, READ)["from_index"] is True, "and saves a good one again"


def test_other_pins_scan_again(tmp_path: Path, index: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _extra(tmp_path)
    run_python(tmp_path, READ)
    monkeypatch.setenv("PROVIDER_CORE_PIN", "extra=provider-extra")
    assert run_python(tmp_path, READ)["from_index"] is False


def test_index_off_always_scans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PROVIDER_CORE_INDEX", "off")
    assert run_python(tmp_path, READ)["from_index"] is False
    assert run_python(tmp_path, READ)["from_index"] is False
