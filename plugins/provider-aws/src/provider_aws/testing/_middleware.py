"""A WSGI layer in front of moto adding what moto lacks: ClientToken idempotency as EC2 has it, injected
EC2 error responses (per action, per AZ, per parameter), spot interruptions, configurable spot prices and
instant fleets that fill only part of their target."""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode
from xml.sax.saxutils import escape

from attrs import define, field

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

CONTROL_PREFIX = "/_provider_aws/"
_REGION_IN_AUTH = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")
_XML = [("Content-Type", "text/xml;charset=UTF-8")]


@define
class Fault:
    """Answer matching requests with an EC2 error. times=None keeps answering; match compares form params."""

    action: str
    code: str
    status: int = 400
    message: str = ""
    times: int | None = 1
    region: str | None = None
    match: dict[str, str] = field(factory=dict)
    # None: any request; True: only DryRun probes; False: only real calls (capacity is not checked by DryRun).
    dry_run: bool | None = None
    # Seconds to wait before answering, to make the client time out.
    delay: float = 0.0

    def applies(self, action: str, region: str | None, params: Mapping[str, str]) -> bool:
        is_dry = params.get("DryRun", "").lower() == "true"
        return (
            self.action in (action, "*")
            and (self.region is None or self.region == region)
            and all(params.get(k) == v for k, v in self.match.items())
            and (self.dry_run is None or self.dry_run == is_dry)
        )


def error_body(code: str, message: str) -> bytes:
    """An error in EC2's XML error format."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()


class Ec2Middleware:
    def __init__(self, app: WsgiApp, *, on_interrupt: Callable[[str, str], None]) -> None:
        self._app = app
        self._on_interrupt = on_interrupt
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._faults: list[Fault] = []
        self._tokens: dict[tuple[str | None, str], tuple[tuple[tuple[str, str], ...], bytes]] = {}
        self._prices: dict[tuple[str, str], list[tuple[str, float]]] = {}
        self._fleet_capacity: dict[str, int] = {}  # market -> most instances one CreateFleet launches
        self.calls: list[str] = []

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        if path.startswith(CONTROL_PREFIX):
            return self._control(path[len(CONTROL_PREFIX) :], environ, start_response)
        body = _read_body(environ)
        params = dict(parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True))
        action = params.get("Action", "")
        region = _region(environ)
        with self._lock:
            self.calls.append(action)
        fault = self._take_fault(action, region, params)
        if fault is not None:
            time.sleep(fault.delay)
            status = f"{fault.status} {'Error' if fault.status >= 500 else 'Bad Request'}"
            start_response(status, _XML)
            return [error_body(fault.code, fault.message or f"injected {fault.code}")]
        if action == "DescribeSpotPriceHistory" and self._prices:
            return self._spot_prices(region, params, start_response)
        if action == "RunInstances" and params.get("ClientToken") and params.get("DryRun") != "true":
            return self._idempotent(environ, start_response, region, params)
        if action == "CreateFleet":
            return self._fleet(environ, start_response, params)
        return self._app(environ, start_response)

    def _capture(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run moto and hold its whole response, so it can be stored or rewritten before it is sent."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        chunks = self._app(environ, capture)
        try:
            body = b"".join(chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()
        return str(captured["status"]), list(captured["headers"]), body

    def _take_fault(self, action: str, region: str | None, params: Mapping[str, str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies(action, region, params):
                    if fault.times is not None:
                        fault.times -= 1
                        if fault.times <= 0:
                            self._faults.remove(fault)
                    return fault
        return None

    def _idempotent(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        region: str | None,
        params: dict[str, str],
    ) -> Iterable[bytes]:
        """EC2 semantics: same token and parameters return the original reservation; other parameters fail."""
        key = (region, params["ClientToken"])
        fingerprint = tuple(sorted(params.items()))
        # Held across moto's launch: two concurrent requests with one token must not both launch.
        with self._token_lock:
            seen = self._tokens.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    start_response("400 Bad Request", _XML)
                    return [error_body("IdempotentParameterMismatch", "token reused with other parameters")]
                start_response("200 OK", _XML)
                return [seen[1]]
            status, headers, body = self._capture(environ)
            if status.startswith("200"):
                self._tokens[key] = (fingerprint, body)
        start_response(status, headers)
        return [body]

    def _fleet(
        self, environ: dict[str, Any], start_response: StartResponse, params: dict[str, str]
    ) -> Iterable[bytes]:
        """EC2 semantics for a pool short of capacity: launch what fits, report the rest in errorSet."""
        spec = "TargetCapacitySpecification."
        market = params.get(spec + "DefaultTargetCapacityType", "")
        with self._lock:
            limit = self._fleet_capacity.get(market)
        asked = int(params.get(spec + "TotalTargetCapacity") or 0)
        if limit is None or asked <= limit:
            return self._app(environ, start_response)
        part = "SpotTargetCapacity" if market == "spot" else "OnDemandTargetCapacity"
        capped = {**params, spec + "TotalTargetCapacity": str(limit), spec + part: str(limit)}
        body = urlencode(capped).encode()
        environ["wsgi.input"], environ["CONTENT_LENGTH"] = io.BytesIO(body), str(len(body))
        status, headers, answer = self._capture(environ)
        if status.startswith("200"):
            error = (
                f"<errorSet><item><lifecycle>{escape(market)}</lifecycle>"
                "<errorCode>InsufficientInstanceCapacity</errorCode>"
                f"<errorMessage>only {limit} of {asked} {escape(market)} instances available</errorMessage>"
                "</item></errorSet>"
            )
            closing = answer.rindex(b"</")
            answer = answer[:closing] + error.encode() + answer[closing:]
            headers = [(k, v) for k, v in headers if k.lower() != "content-length"]
            headers.append(("Content-Length", str(len(answer))))
        start_response(status, headers)
        return [answer]

    def _spot_prices(
        self, region: str | None, params: Mapping[str, str], start_response: StartResponse
    ) -> Iterable[bytes]:
        types = [v for k, v in params.items() if k.startswith("InstanceType.")]
        items = []
        now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        with self._lock:
            for (price_region, instance_type), zones in self._prices.items():
                if price_region != region or (types and instance_type not in types):
                    continue
                for zone, price in zones:
                    items.append(
                        f"<item><instanceType>{escape(instance_type)}</instanceType>"
                        "<productDescription>Linux/UNIX</productDescription>"
                        f"<spotPrice>{price:.6f}</spotPrice><timestamp>{now}</timestamp>"
                        f"<availabilityZone>{escape(zone)}</availabilityZone></item>"
                    )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<DescribeSpotPriceHistoryResponse '
            'xmlns="http://ec2.amazonaws.com/doc/2016-11-15/">'
            f"<requestId>{uuid.uuid4()}</requestId><spotPriceHistorySet>{''.join(items)}</spotPriceHistorySet>"
            "<nextToken/></DescribeSpotPriceHistoryResponse>"
        )
        start_response("200 OK", _XML)
        return [body.encode()]

    def _control(
        self, command: str, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes]:
        data: dict[str, Any] = json.loads(_read_body(environ) or b"{}")
        with self._lock:
            if command == "faults":
                self._faults.append(Fault(**data))
            elif command == "clear":
                self._faults.clear()
                self._tokens.clear()
                self._prices.clear()
                self._fleet_capacity.clear()
                self.calls.clear()
            elif command == "spot-prices":
                key = (str(data["region"]), str(data["instance_type"]))
                self._prices[key] = [(str(z), float(p)) for z, p in data["prices"].items()]
            elif command == "fleet-capacity":
                self._fleet_capacity[str(data["market"])] = int(data["instances"])
            elif command == "calls":
                start_response("200 OK", [("Content-Type", "application/json")])
                return [json.dumps(self.calls).encode()]
            elif command != "interrupt":
                start_response("404 Not Found", [("Content-Type", "text/plain")])
                return [b"unknown control command"]
        if command == "interrupt":
            self._on_interrupt(str(data["region"]), str(data["instance_id"]))
        start_response("204 No Content", [])
        return []


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _region(environ: Mapping[str, Any]) -> str | None:
    found = _REGION_IN_AUTH.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return found.group(1) if found else None
