"""A WSGI layer in front of moto adding what moto lacks: ClientToken idempotency as EC2 documents it, EC2's
check of hibernation with spot, injected EC2 error responses (per action, per AZ, per parameter, per market,
before or after moto acted), spot interruptions, configurable spot prices and a limited capacity per market
(spot or on-demand)."""

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
# The actions whose ClientToken is emulated (every launch path that takes one).
TOKEN_ACTIONS = frozenset({"RunInstances", "RequestSpotInstances", "CreateFleet", "CreateVolume"})
# EC2 compares a retried request's parameters except Region (tokens are per region) and Availability Zone.
_NOT_COMPARED = ("AvailabilityZone", "AvailabilityZoneGroup")
_STATE = re.compile(r"<instanceState>.*?</instanceState>", re.DOTALL)
_INSTANCE_ID = re.compile(r"<instanceId>(i-[0-9a-f]+)</instanceId>")
# EC2 instance-state codes (DescribeInstances' InstanceState.Code).
STATE_CODES = {
    "pending": 0,
    "running": 16,
    "shutting-down": 32,
    "terminated": 48,
    "stopping": 64,
    "stopped": 80,
}


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
    # None: any launch; "spot" or "on-demand": only RunInstances in that market.
    market: str | None = None
    # Let this many matching calls through first (to fail the n-th call of a sequence).
    skip: int = 0
    # True: moto acts first and then the error is answered (the server did it, the client never heard).
    lost: bool = False

    def applies(self, action: str, region: str | None, params: Mapping[str, str]) -> bool:
        is_dry = params.get("DryRun", "").lower() == "true"
        return (
            self.action in (action, "*")
            and (self.region is None or self.region == region)
            and all(params.get(k) == v for k, v in self.match.items())
            and (self.dry_run is None or self.dry_run == is_dry)
            and (self.market is None or self.market == market_of(params))
        )


def market_of(params: Mapping[str, str]) -> str:
    """The market of a RunInstances request: spot with InstanceMarketOptions, else on-demand."""
    return "spot" if params.get("InstanceMarketOptions.MarketType") == "spot" else "on-demand"


def error_body(code: str, message: str) -> bytes:
    """An error in EC2's XML error format."""
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f"<Response><Errors><Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
        f"</Error></Errors><RequestID>{uuid.uuid4()}</RequestID></Response>"
    ).encode()


def hibernation_conflict(params: Mapping[str, str]) -> str | None:
    """EC2's refusal of a spot launch whose hibernation and interruption settings disagree, else None.

    With HibernationOptions.Configured the interruption behaviour must be hibernate (its default then);
    stop and hibernate need a persistent request (EC2 API reference and user guide, Spot interruptions).
    """
    if market_of(params) != "spot":
        return None
    spot = "InstanceMarketOptions.SpotOptions."
    configured = params.get("HibernationOptions.Configured", "").lower() == "true"
    behaviour = params.get(spot + "InstanceInterruptionBehavior") or (
        "hibernate" if configured else "terminate"
    )
    if configured and behaviour != "hibernate":
        return f"hibernation configured needs InstanceInterruptionBehavior=hibernate, not {behaviour}"
    if behaviour in ("stop", "hibernate") and params.get(spot + "SpotInstanceType") != "persistent":
        return f"InstanceInterruptionBehavior={behaviour} needs a persistent spot request"
    return None


class Ec2Middleware:
    def __init__(
        self,
        app: WsgiApp,
        *,
        on_interrupt: Callable[[str, str], None],
        instance_state: Callable[[str | None, str], str | None],
    ) -> None:
        self._app = app
        self._on_interrupt = on_interrupt
        self._instance_state = instance_state
        self._lock = threading.Lock()
        self._token_lock = threading.Lock()
        self._faults: list[Fault] = []
        # (action, region, token) -> (the compared parameters, the first response)
        self._tokens: dict[tuple[str, str | None, str], tuple[tuple[tuple[str, str], ...], bytes]] = {}
        self._prices: dict[tuple[str, str], list[tuple[str, float]]] = {}
        self._capacity: dict[str, int] = {}  # market -> how many more launches it takes
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
        if fault is None:
            return self._answer(environ, start_response, action, region, params)
        if fault.lost:
            _drain(self._answer(environ, lambda *args: lambda data: None, action, region, params))
        time.sleep(fault.delay)
        status = f"{fault.status} {'Error' if fault.status >= 500 else 'Bad Request'}"
        start_response(status, _XML)
        return [error_body(fault.code, fault.message or f"injected {fault.code}")]

    def _answer(
        self,
        environ: dict[str, Any],
        start_response: StartResponse,
        action: str,
        region: str | None,
        params: dict[str, str],
    ) -> Iterable[bytes]:
        """What EC2 would answer (moto, with the middleware's emulation on top)."""
        if action == "DescribeSpotPriceHistory" and self._prices:
            return self._spot_prices(region, params, start_response)
        if action == "DescribeInstances" and "client-token" in params.values():
            self._client_token_filter(environ, region, params)
        if action == "RunInstances":
            conflict = hibernation_conflict(params)
            if conflict is not None:
                start_response("400 Bad Request", _XML)
                return [error_body("InvalidParameterCombination", conflict)]
        if action in TOKEN_ACTIONS and params.get("DryRun") != "true":
            if params.get("ClientToken"):
                return self._idempotent(environ, start_response, action, region, params)
            if action == "RunInstances" and not self._take_capacity(params):
                return self._no_capacity(params, start_response)
        return self._app(environ, start_response)

    def _take_capacity(self, params: Mapping[str, str]) -> bool:
        """Whether the request's market still has room (one launch less when it has); unlimited by default."""
        market = market_of(params)
        with self._lock:
            left = self._capacity.get(market)
            if left is None:
                return True
            if left <= 0:
                return False
            self._capacity[market] = left - 1
            return True

    def _no_capacity(self, params: Mapping[str, str], start_response: StartResponse) -> Iterable[bytes]:
        message = f"no {market_of(params)} capacity left"
        start_response("400 Bad Request", _XML)
        return [error_body("InsufficientInstanceCapacity", message)]

    def _capture(self, environ: dict[str, Any]) -> tuple[str, list[tuple[str, str]], bytes]:
        """Run moto and hold its whole response, so it can be stored or rewritten before it is sent."""
        captured: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: None

        body = _drain(self._app(environ, capture))
        return str(captured["status"]), list(captured["headers"]), body

    def _take_fault(self, action: str, region: str | None, params: Mapping[str, str]) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.applies(action, region, params):
                    if fault.skip > 0:
                        fault.skip -= 1
                        return None
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
        action: str,
        region: str | None,
        params: dict[str, str],
    ) -> Iterable[bytes]:
        """EC2's semantics: a retry with the same token and parameters (the AZ aside) gets the original
        result, with instances in their current state; other parameters get IdempotentParameterMismatch;
        a RunInstances token whose instance was terminated gets IdempotentInstanceTerminated."""
        key = (action, region, params["ClientToken"])
        fingerprint = tuple(sorted((k, v) for k, v in params.items() if not k.endswith(_NOT_COMPARED)))
        # Held across moto's launch: two concurrent requests with one token must not both launch.
        with self._token_lock:
            seen = self._tokens.get(key)
            if seen is not None:
                if seen[0] != fingerprint:
                    start_response("400 Bad Request", _XML)
                    return [error_body("IdempotentParameterMismatch", "token reused with other parameters")]
                return self._replay(start_response, action, region, seen[1])
            if action == "RunInstances" and not self._take_capacity(params):
                return self._no_capacity(params, start_response)
            status, headers, body = self._capture(environ)
            if status.startswith("200"):
                self._tokens[key] = (fingerprint, body)
        start_response(status, headers)
        return [body]

    def _replay(
        self, start_response: StartResponse, action: str, region: str | None, body: bytes
    ) -> Iterable[bytes]:
        if action != "RunInstances":
            start_response("200 OK", _XML)
            return [body]
        text = body.decode()
        states = [self._instance_state(region, i) or "terminated" for i in _INSTANCE_ID.findall(text)]
        if "terminated" in states:
            start_response("400 Bad Request", _XML)
            message = "the instance launched with this client token has been terminated"
            return [error_body("IdempotentInstanceTerminated", message)]
        current = iter(states)

        def state(_: re.Match[str]) -> str:
            name = next(current, states[0])
            return (
                f"<instanceState><code>{STATE_CODES.get(name, 0)}</code><name>{name}</name></instanceState>"
            )

        start_response("200 OK", _XML)
        return [_STATE.sub(state, text).encode()]

    def _client_token_filter(
        self, environ: dict[str, Any], region: str | None, params: dict[str, str]
    ) -> None:
        """moto has no client-token filter: rewrite it as an instance-id filter from the tokens seen."""
        with self._token_lock:
            launched = {
                token: _INSTANCE_ID.findall(body.decode())
                for (action, where, token), (_, body) in self._tokens.items()
                if action == "RunInstances" and where == region
            }
        rewritten = dict(params)
        for name_key, value in params.items():
            if not (
                name_key.startswith("Filter.") and name_key.endswith(".Name") and value == "client-token"
            ):
                continue
            prefix = name_key[: -len("Name")]
            tokens = [v for k, v in params.items() if k.startswith(prefix + "Value.")]
            ids = [i for t in tokens for i in launched.get(t, ())] or ["i-00000000000000000"]
            for k in [k for k in rewritten if k.startswith(prefix + "Value.")]:
                del rewritten[k]
            rewritten[name_key] = "instance-id"
            rewritten.update({f"{prefix}Value.{n}": i for n, i in enumerate(ids, 1)})
        body = urlencode(rewritten).encode()
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))

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
                self._capacity.clear()
                self.calls.clear()
            elif command == "spot-prices":
                key = (str(data["region"]), str(data["instance_type"]))
                self._prices[key] = [(str(z), float(p)) for z, p in data["prices"].items()]
            elif command == "capacity":
                self._capacity[str(data["market"])] = int(data["instances"])
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


def _drain(chunks: Iterable[bytes]) -> bytes:
    try:
        return b"".join(chunks)
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            close()


def _read_body(environ: dict[str, Any]) -> bytes:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body: bytes = environ["wsgi.input"].read(length) if length else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def _region(environ: Mapping[str, Any]) -> str | None:
    found = _REGION_IN_AUTH.search(str(environ.get("HTTP_AUTHORIZATION", "")))
    return found.group(1) if found else None
