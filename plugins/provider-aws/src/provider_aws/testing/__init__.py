"""The local test double: moto's EC2 server on loopback behind provider-aws's middleware.

`test_double()` yields the settings to build the provider with; `Ec2Control(endpoint_url)` drives the
middleware over HTTP (inject faults, interrupt spot instances, set spot prices), so tests that only hold the
settings can use it. moto keeps its state per process: doubles started in one process share it.
"""

from __future__ import annotations

import json
import threading
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

REGION = "us-east-1"
ALT_REGION = "us-west-2"
MOTO_ACCOUNT = "123456789012"  # moto's default account, which dummy credentials map to
# Dummy credentials that only the double accepts.
DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
SPOT_INTERRUPTION = ("Server.SpotInstanceTermination", "Spot instance termination")


def _interrupt(region: str, instance_id: str) -> None:
    """What EC2 does when it reclaims a spot instance, done directly on moto's in-process backend."""
    from moto.ec2.models import ec2_backends
    from moto.ec2.models.instances import StateReason

    instance = ec2_backends[MOTO_ACCOUNT][region].get_instance(instance_id)
    instance.terminate()
    code, message = SPOT_INTERRUPTION
    instance.state_reason = StateReason(f"{code}: {message}", code)


def _instance_state(region: str | None, instance_id: str) -> str | None:
    """The instance's state name in moto's in-process backend (None when it does not know the id)."""
    from moto.ec2.models import ec2_backends

    try:
        instance = ec2_backends[MOTO_ACCOUNT][region or REGION].get_instance(instance_id)
    except Exception:  # moto's InvalidInstanceIdError: the id is unknown there
        return None
    return str(instance.state)


@contextmanager
def serve() -> Iterator[str]:
    """moto's EC2 behind the middleware on 127.0.0.1 and a free port; yields the endpoint URL."""
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        MotoRequestHandler,
        create_backend_app,
    )
    from werkzeug.serving import make_server

    from provider_aws.testing._middleware import Ec2Middleware

    class QuietHandler(MotoRequestHandler):
        def log(self, type: str, message: str, *args: Any) -> None:
            """Requests are not logged: tests read the middleware's record instead."""

    app = Ec2Middleware(
        DomainDispatcherApplication(create_backend_app),
        on_interrupt=_interrupt,
        instance_state=_instance_state,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    thread = threading.Thread(target=server.serve_forever, name="provider-aws-moto", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextmanager
def test_double() -> Iterator[dict[str, Any]]:
    """The ComplianceProfile test double: yields the AWSProvider settings for the local server."""
    with serve() as endpoint_url:
        yield {
            "endpoint_url": endpoint_url,
            "region": REGION,
            "regions": (REGION, ALT_REGION),
            **DUMMY_CREDENTIALS,
        }


# Its name starts with test_: keep pytest from collecting it where it is imported into a test module.
test_double.__test__ = False  # type: ignore[attr-defined]


class Ec2Control:
    """Drives the middleware of a running double (and resets moto) over HTTP."""

    def __init__(self, endpoint_url: str) -> None:
        if not endpoint_url.startswith(("http://", "https://")):
            raise ValueError(f"endpoint_url must be http(s), got {endpoint_url!r}")
        self.endpoint_url = endpoint_url.rstrip("/")

    def _post(self, path: str, data: Mapping[str, Any] | None = None) -> bytes:
        url, body = f"{self.endpoint_url}{path}", json.dumps(data or {}).encode()
        request = urllib.request.Request(url, data=body, method="POST")  # noqa: S310 (checked http(s))
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (checked http(s))
            answer: bytes = response.read()
            return answer

    def inject(
        self,
        action: str,
        code: str,
        *,
        status: int = 400,
        message: str = "",
        times: int | None = 1,
        region: str | None = None,
        match: Mapping[str, str] | None = None,
        dry_run: bool | None = None,
        delay: float = 0.0,
        market: str | None = None,
        skip: int = 0,
        lost: bool = False,
    ) -> None:
        """Answer the next `times` matching calls (None: all) with an EC2 error response; market ("spot" or
        "on-demand") limits it to RunInstances in that market; skip lets that many matching calls through
        first; lost makes the call happen before the error is answered (a response lost on the way)."""
        self._post(
            "/_provider_aws/faults",
            {
                "action": action,
                "code": code,
                "status": status,
                "message": message,
                "times": times,
                "region": region,
                "match": dict(match or {}),
                "dry_run": dry_run,
                "delay": delay,
                "market": market,
                "skip": skip,
                "lost": lost,
            },
        )

    def no_capacity(self, zone: str, *, instance_type: str | None = None) -> None:
        """Every real (non-DryRun) launch into zone fails with InsufficientInstanceCapacity."""
        match = {"Placement.AvailabilityZone": zone}
        if instance_type:
            match["InstanceType"] = instance_type
        self.inject("RunInstances", "InsufficientInstanceCapacity", times=None, match=match, dry_run=False)

    def capacity(self, market: str, instances: int) -> None:
        """Real launches in market ("spot" or "on-demand") succeed `instances` more times, then fail with
        InsufficientInstanceCapacity in every zone (a replayed ClientToken takes no capacity)."""
        if market not in ("spot", "on-demand") or instances < 0:
            raise ValueError(f"capacity needs market spot/on-demand and instances >= 0, got {market!r}")
        self._post("/_provider_aws/capacity", {"market": market, "instances": instances})

    def interrupt(self, instance_id: str, region: str = REGION) -> None:
        """Reclaim a spot instance the way EC2 does (terminated, Server.SpotInstanceTermination)."""
        self._post("/_provider_aws/interrupt", {"region": region, "instance_id": instance_id})

    def spot_prices(self, instance_type: str, prices: Mapping[str, float], region: str = REGION) -> None:
        """Replace moto's placeholder spot prices for instance_type with {zone: price}."""
        self._post(
            "/_provider_aws/spot-prices",
            {"region": region, "instance_type": instance_type, "prices": dict(prices)},
        )

    def calls(self) -> list[str]:
        """The EC2 actions received since the last reset, in order."""
        found: list[str] = json.loads(self._post("/_provider_aws/calls"))
        return found

    def clear(self) -> None:
        """Forget faults, ClientTokens, spot prices, capacities and recorded calls, not moto's state."""
        self._post("/_provider_aws/clear")

    def reset(self) -> None:
        """clear(), and reset moto's state too (rebuilding its backends costs about a second a region)."""
        self.clear()
        self._post("/moto-api/reset")


__all__ = ["ALT_REGION", "DUMMY_CREDENTIALS", "REGION", "Ec2Control", "serve", "test_double"]
