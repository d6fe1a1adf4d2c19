"""The test-double kit: serving WSGI apps, injected faults, the exchange log and the OpenAPI checker."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from provider_core.testing.kit import (
    EmulatorApp,
    Exchange,
    ExchangeLog,
    Fault,
    FaultQueue,
    OffContract,
    OpenAPIChecker,
    Reply,
    Request,
    serve,
)


class Counter(EmulatorApp):
    """A tiny emulator: POST /items creates an item (201), GET /items lists them, a key is required."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.seen = 0

    def admit(self, request: Request) -> Reply | None:
        self.seen += 1
        if request.header("Authorization") != "Bearer key":
            return Reply.json(401, {"error": "who are you"})
        return None

    def respond(self, request: Request) -> Reply:
        if request.method == "POST" and request.path == "/items":
            self.items.append(json.loads(request.body))
            return Reply.json(201, {"id": len(self.items)})
        if request.path == "/items":
            return Reply.json(200, {"items": self.items})
        return Reply.json(404, {"error": "no route"})


@pytest.fixture
def app() -> Counter:
    return Counter()


@pytest.fixture
def local(app: Counter) -> Iterator[httpx.Client]:
    """In-process, through httpx.WSGITransport: no socket involved."""
    transport = httpx.WSGITransport(app=app)
    with httpx.Client(transport=transport, base_url="http://counter.test", headers=AUTH) as client:
        yield client


AUTH = {"Authorization": "Bearer key"}


def _new_threads(before: set[threading.Thread]) -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t not in before and t.is_alive()}


# -- serve -------------------------------------------------------------------------------------------


def test_any_wsgi_app_is_served_on_loopback_with_its_raw_target() -> None:
    seen: list[tuple[str, str]] = []

    def hello(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append((environ["PATH_INFO"], environ["RAW_URI"]))
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"hello"]

    with serve(hello) as server, httpx.Client(base_url=server.url) as client:
        assert server.url.startswith("http://127.0.0.1:")
        answer = client.get("/a%2Fb?x=1")
    assert (answer.status_code, answer.text) == (200, "hello")
    assert seen == [("/a/b", "/a%2Fb?x=1")]


def test_stop_is_fast_and_leaves_no_thread_with_an_idle_and_a_stalled_connection(app: Counter) -> None:
    before = set(threading.enumerate())
    app.start()
    port = int(app.url.rsplit(":", 1)[1])
    client = httpx.Client(base_url=app.url, headers=AUTH)
    assert client.get("/items").status_code == 200  # a kept-alive connection stays open
    app.latency = 60.0
    outcome: list[object] = []

    def stalled() -> None:
        try:
            outcome.append(client.get("/items", timeout=30))
        except httpx.HTTPError as exc:
            outcome.append(exc)

    caller = threading.Thread(target=stalled)
    caller.start()
    deadline = time.monotonic() + 10
    while app.seen < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    app.stop()
    assert time.monotonic() - started < 1.0
    caller.join(timeout=10)
    client.close()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.HTTPError)  # the stalled answer was never sent
    assert app.exchanges[-1].status is None
    assert _new_threads(before) == set()
    with socket.socket() as probe, pytest.raises(ConnectionRefusedError):
        probe.connect(("127.0.0.1", port))


def test_answers_are_not_held_back_by_nagle_and_delayed_acks(app: Counter) -> None:
    # Headers and body are two writes: without TCP_NODELAY each answer waits ~40 ms for an ACK.
    with app, httpx.Client(base_url=app.url, headers=AUTH) as client:
        client.get("/items")
        started = time.monotonic()
        for _ in range(25):
            assert client.post("/items", json={"n": 1}).status_code == 201
        elapsed = time.monotonic() - started
    assert elapsed < 0.5, f"25 kept-alive requests took {elapsed:.2f} s"


def test_a_burst_of_new_connections_is_not_dropped_while_the_server_is_busy() -> None:
    """A server too busy to accept (here: not accepting at all) still completes every handshake of a
    burst: with socketserver's backlog of 5 the kernel dropped the SYNs beyond it, and each such
    connection waited a second for the resend, reaching the server a second late."""
    from provider_core.testing.kit._serve import _Server

    server = _Server(lambda environ, start_response: [])
    try:
        address = ("127.0.0.1", server.server_address[1])
        clients = [socket.create_connection(address, timeout=0.5) for _ in range(32)]
        for client in clients:
            client.close()
    finally:
        server.server_close()


def test_an_app_that_crashes_answers_500_instead_of_hanging() -> None:
    def broken(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        raise RuntimeError("emulator bug")

    with serve(broken) as server:
        answer = httpx.get(server.url + "/", timeout=5)
    assert answer.status_code == 500
    assert "emulator bug" in answer.text


# -- faults ------------------------------------------------------------------------------------------


def test_faults_match_method_and_path_and_are_used_in_order(app: Counter, local: httpx.Client) -> None:
    app.inject(Fault(503, b"first", method="GET", path=r"/items"))
    app.inject(Fault(502, b"second", path=r"/it.*", times=2))
    assert local.post("/items", json={}).status_code == 502  # the GET-only fault does not match a POST
    assert [local.get("/items").status_code for _ in range(3)] == [503, 502, 200]
    assert app.faults == []


def test_after_lets_requests_through_first(app: Counter, local: httpx.Client) -> None:
    app.inject(Fault(500, after=2))
    assert [local.get("/items").status_code for _ in range(4)] == [200, 200, 500, 200]


def test_a_refused_request_does_not_use_up_a_fault(app: Counter, local: httpx.Client) -> None:
    app.inject(Fault(500))
    assert local.get("/items", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert local.get("/items").status_code == 500


def test_an_after_effect_fault_replaces_only_a_successful_answer(app: Counter, local: httpx.Client) -> None:
    app.inject(Fault(500, b"lost", method="POST", after_effect=True))
    assert local.post("/nowhere", json={}).status_code == 404  # refused: the fault stays queued
    assert len(app.faults) == 1
    answer = local.post("/items", json={"n": 1})
    assert (answer.status_code, answer.content) == (500, b"lost")
    assert app.items == [{"n": 1}]  # it took effect all the same


def test_a_dropped_answer_closes_the_connection_after_its_delay(app: Counter) -> None:
    app.inject(Fault(drop=True, delay=0.2))
    with app, httpx.Client(base_url=app.url, headers=AUTH) as client:
        started = time.monotonic()
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/items")
        assert time.monotonic() - started >= 0.2
        assert client.get("/items").status_code == 200
    assert [e.status for e in app.exchanges] == [None, 200]


def test_a_malformed_answer_is_recorded_off_spec(app: Counter, local: httpx.Client) -> None:
    app.inject(Fault(200, b"<html>", {"Content-Type": "text/html"}, malformed=True))
    assert local.get("/items").text == "<html>"
    assert [e.off_spec for e in app.exchanges] == [True]


def test_the_fault_queue_is_thread_safe() -> None:
    queue = FaultQueue()
    queue.add(Fault(500, times=200))
    request = Request("GET", "/", {}, b"")
    taken: list[Fault | None] = []

    def take() -> None:
        for _ in range(50):
            taken.append(queue.take(request, after_effect=False))

    workers = [threading.Thread(target=take) for _ in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert sum(fault is not None for fault in taken) == 200
    assert queue.pending() == []


def test_a_fault_with_impossible_counts_is_refused() -> None:
    with pytest.raises(ValueError, match="times"):
        Fault(times=0)


# -- the exchange log --------------------------------------------------------------------------------


def test_the_log_masks_credentials_and_keeps_the_scheme(app: Counter, local: httpx.Client) -> None:
    local.get("/items?x=1", headers={"X-Api-Key": "s3cret", "Cookie": "session=s3cret"})
    (exchange,) = app.exchanges
    assert exchange.headers["Authorization"] == "Bearer ***"
    assert exchange.headers["X-Api-Key"] == exchange.headers["Cookie"] == "***"
    assert "s3cret" not in repr(exchange)
    assert "key" not in exchange.headers["Authorization"]
    assert (exchange.method, exchange.path, exchange.query, exchange.status) == ("GET", "/items", "x=1", 200)
    assert exchange.response_content_type == "application/json"


def test_the_log_keeps_every_exchange_under_concurrency() -> None:
    log = ExchangeLog()

    def record(n: int) -> None:
        for _ in range(100):
            log.record(Exchange("GET", f"/{n}", {"Authorization": "Basic abc"}, b"", 200, {}, b""))

    workers = [threading.Thread(target=record, args=(n,)) for n in range(8)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert len(log) == 800
    assert {e.headers["Authorization"] for e in log} == {"Basic ***"}


# -- the OpenAPI checker -----------------------------------------------------------------------------

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "counter", "version": "1"},
    "servers": [{"url": "https://counter.example"}],
    "paths": {
        "/items": {
            "get": {
                "responses": {
                    "200": {
                        "description": "items",
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["items"],
                                    "properties": {"items": {"type": "array"}},
                                }
                            }
                        },
                    }
                }
            }
        }
    },
    "components": {"schemas": {"Error": {"type": "object", "required": ["error"]}}},
}


def _get(status: int, body: object) -> Exchange:
    return Exchange(
        "GET", "/items", {}, b"", status, {"Content-Type": "application/json"}, json.dumps(body).encode()
    )


def test_the_checker_passes_what_the_document_allows(app: Counter, local: httpx.Client) -> None:
    local.get("/items")
    checker = OpenAPIChecker(DOCUMENT, server="https://counter.example")
    assert checker.check(app.exchanges) == 1


def test_the_checker_catches_a_wrong_answer() -> None:
    checker = OpenAPIChecker(DOCUMENT, server="https://counter.example")
    with pytest.raises(Exception, match="required"):
        checker.check_response(_get(200, {"things": []}))


def test_undocumented_statuses_need_a_rule(app: Counter, local: httpx.Client) -> None:
    checker = OpenAPIChecker(
        DOCUMENT,
        server="https://counter.example",
        undocumented={"5XX": {"$ref": "#/components/schemas/Error"}},
    )
    checker.check_response(_get(503, {"error": "down"}))
    with pytest.raises(Exception, match="required"):
        checker.check_response(_get(500, {"oops": 1}))
    with pytest.raises(OffContract):
        checker.check_response(_get(418, {"error": "teapot"}))
    # What a test broke on purpose, or never sent, is not judged.
    malformed = Exchange("GET", "/items", {}, b"", 200, {"Content-Type": "text/html"}, b"<html>", True)
    checker.check_response(malformed)


def test_the_checker_only_covers_its_prefix() -> None:
    checker = OpenAPIChecker(DOCUMENT, server="https://counter.example", covers="/items")
    other = Exchange("POST", "/graphql", {}, b"{}", 200, {}, b"{}")
    assert checker.covered([_get(200, {"items": []}), other]) == [_get(200, {"items": []})]
    assert checker.check([other]) == 0


def test_importing_the_kit_loads_only_the_standard_library() -> None:
    code = (
        "import sys, provider_core.testing.kit\n"
        "print(sorted(m for m in ('httpx', 'openapi_core', 'jsonschema', 'graphql') if m in sys.modules))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
