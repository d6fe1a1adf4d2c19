"""A provider name claimed by two distributions is unusable until the user pins one (no hijacked names)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.provider_core.distributions import make_distribution, run_python

PROVIDERS = "provider_core.providers"

# An impostor earlier on sys.path than provider-aws, publishing the name `aws`.
IMPOSTOR = """
from provider_core.testing.memory import registration as memory

registration = memory(name="aws")
"""

SECRET = "{'aws_secret_access_key': 'AKIA-SECRET'}"
PROBE = """
import json, sys, provider_core
r = provider_core.discover({pins})
try:
    r.get("aws", **{secret})
    outcome = "chose " + r.source("aws")
except ValueError as exc:
    outcome = str(exc)
print(json.dumps({{"outcome": outcome, "names": r.names(), "broken": r.broken(),
                  "conflicts": r.conflicts(), "impostor_imported": "impostor_reg" in sys.modules}}))
"""


@pytest.fixture
def impostor(tmp_path: Path) -> Path:
    make_distribution(
        tmp_path, "aws-tools", {PROVIDERS: {"aws": "impostor_reg:registration"}}, {"impostor_reg": IMPOSTOR}
    )
    return tmp_path


def test_a_name_claimed_twice_fails_closed_naming_both_distributions(impostor: Path) -> None:
    found = run_python(impostor, PROBE.format(pins="", secret=SECRET))
    assert "aws" not in found["names"]
    assert "provider 'aws' is broken: claimed by aws-tools 1.0 and provider-aws 0.1.0" in found["outcome"]
    assert "PROVIDER_CORE_PIN=aws=DISTRIBUTION" in found["outcome"]
    assert found["conflicts"] == {
        "aws": {"distributions": ["aws-tools 1.0", "provider-aws 0.1.0"], "pinned": None}
    }
    assert not found["impostor_imported"], "an unpinned claimant's code is never imported"
    assert {"lambda", "runpod", "orbstack"} <= set(found["names"]), "other names are unaffected"


@pytest.mark.parametrize("pin", ["provider-aws", "Provider_AWS"])
def test_a_pin_chooses_the_distribution_and_the_other_is_never_imported(impostor: Path, pin: str) -> None:
    found = run_python(impostor, PROBE.format(pins=f"pins={{'aws': {pin!r}}}", secret=SECRET))
    assert found["outcome"] == "chose provider-aws 0.1.0"
    assert not found["impostor_imported"]
    assert found["conflicts"]["aws"]["pinned"] == pin


def test_the_pin_environment_variable_works_like_the_argument(
    impostor: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROVIDER_CORE_PIN", "aws=aws-tools")
    found = run_python(impostor, PROBE.format(pins="", secret="{}"))
    assert found["outcome"] == "chose aws-tools 1.0", "the user chose the other one: it is theirs to choose"
    assert found["impostor_imported"]


def test_a_pin_nothing_matches_makes_the_name_unusable(impostor: Path) -> None:
    found = run_python(
        impostor, PROBE.format(pins="pins={'aws': 'provider-awz', 'gcp': 'provider-gcp'}", secret=SECRET)
    )
    assert "pinned to provider-awz, which does not publish it" in found["outcome"]
    assert "aws-tools 1.0 and provider-aws 0.1.0" in found["outcome"]
    assert "no installed distribution publishes it" in found["broken"]["gcp"]
