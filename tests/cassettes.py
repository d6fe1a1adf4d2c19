"""Record and replay an HTTP provider's traffic as vcrpy cassettes, every secret scrubbed on the way in.

Three ways to run the same replay test (see each provider's test_*_replay.py):
- default (CI): every cassette in the provider's cassettes/ folder is replayed offline, requests matched
  by method, path, query and body, so the provider must send exactly what was recorded;
- the provider's live switch (PROVIDER_LAMBDA_LIVE=1 / PROVIDER_RUNPOD_LIVE=1 with its key) records the
  scenario against the real API into `live-<name>.yaml`, then replays it;
- PROVIDER_CASSETTES=record re-records the shipped `emulator-<name>.yaml` from a fresh emulator.
Each cassette has a `.scenario.json` beside it: the non-secret inputs the scenario ran with.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

import vcr

SCRUBBED = "<scrubbed>"
# Request and response headers that may carry a credential or a session.
SECRET_HEADERS = ("authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "api-key")
# What a credential looks like in these APIs (Lambda keys start secret_, RunPod keys rpa_), and the
# emulators' own keys: none may appear anywhere in a cassette.
SECRET_PATTERNS = (
    re.compile(r"secret_[A-Za-z0-9_.-]{8,}"),
    re.compile(r"rpa_[A-Za-z0-9_]{8,}"),
    re.compile(r"lambda-emulator-key"),
    re.compile(r"Bearer (?!<scrubbed>)\S+"),
    re.compile(r"PRIVATE KEY"),
)
MATCH_ON = ("method", "path", "query", "body")


def _scrub_text(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, SCRUBBED)
    return text


def recorder(folder: Path, secrets: Iterable[str], *, record: bool) -> vcr.VCR:
    """A VCR that writes into folder when record is true and otherwise only plays back."""
    known = [s for s in secrets if s]

    def request(req: Any) -> Any:
        for name in list(req.headers):
            if name.lower() in SECRET_HEADERS:
                req.headers[name] = SCRUBBED
        if isinstance(req.body, bytes):
            req.body = _scrub_text(req.body.decode("utf-8", "replace"), known).encode()
        return req

    def response(resp: dict[str, Any]) -> dict[str, Any]:
        resp["headers"] = {k: v for k, v in resp["headers"].items() if k.lower() not in SECRET_HEADERS}
        body = resp.get("body", {}).get("string")
        if isinstance(body, bytes):
            resp["body"]["string"] = _scrub_text(body.decode("utf-8", "replace"), known).encode()
        return resp

    return vcr.VCR(
        cassette_library_dir=str(folder),
        record_mode="all" if record else "none",
        match_on=MATCH_ON,
        before_record_request=request,
        before_record_response=response,
        decode_compressed_response=True,
    )


def run_recorded(
    folder: Path,
    name: str,
    scenario: Mapping[str, Any],
    run: Callable[[Mapping[str, Any]], None],
    *,
    secrets: Iterable[str] = (),
    record: bool,
) -> None:
    """Run the scenario inside the cassette `name` (recording it when asked, with its inputs beside it)."""
    folder.mkdir(parents=True, exist_ok=True)
    inputs = folder / f"{name}.scenario.json"
    if record:
        inputs.write_text(json.dumps(dict(scenario), indent=2, sort_keys=True) + "\n")
    else:
        scenario = json.loads(inputs.read_text())
    with recorder(folder, secrets, record=record).use_cassette(f"{name}.yaml"):
        run(scenario)


def recorded(folder: Path) -> list[str]:
    """The cassettes in folder, by name (without .yaml)."""
    return sorted(path.stem for path in folder.glob("*.yaml"))


def leaks(cassette: Path) -> list[str]:
    """Everything in a cassette file that looks like a secret (empty when it is clean)."""
    text = cassette.read_text()
    found = [match.group(0) for pattern in SECRET_PATTERNS for match in pattern.finditer(text)]
    for line in text.splitlines():
        key, _, value = line.strip().partition(":")
        if key.strip().lower() in SECRET_HEADERS and value.strip() not in ("", f"- '{SCRUBBED}'", "[]"):
            found.append(line.strip())
    return found


def live_requested(switch: str, credential: str) -> bool:
    return os.environ.get(switch) == "1" and bool(os.environ.get(credential))


def emulator_record_requested() -> bool:
    return os.environ.get("PROVIDER_CASSETTES") == "record"
