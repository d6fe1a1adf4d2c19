"""LambdaEmulator: EmulatorState served over real HTTP on a loopback port, recording every exchange."""

from __future__ import annotations

import contextlib
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from attrs import frozen

from provider_lambda.testing._state import EmulatorState
from provider_lambda.testing._wire import PREFIX, Reply


@frozen
class Exchange:
    """One request and the answer the emulator sent (answer None when the client went away first)."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    status: int | None
    response_headers: dict[str, str]
    response_body: bytes
    # The answer was a deliberately malformed one that a test asked for.
    off_spec: bool = False


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close, so a stopped emulator leaves nothing running.
    daemon_threads = False
    block_on_close = True

    def __init__(self, emulator: LambdaEmulator) -> None:
        self.emulator = emulator
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is expected in these tests, not an emulator fault.
        return


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    timeout = 30

    def setup(self) -> None:
        super().setup()
        # Headers and body go out in two writes; without this, Nagle meets delayed ACK (~40 ms each).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self.server.connections_lock:
            self.server.connections.add(self.connection)

    def finish(self) -> None:
        with self.server.connections_lock:
            self.server.connections.discard(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _serve(self) -> None:
        emulator = self.server.emulator
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        headers = dict(self.headers.items())
        reply = emulator.handle(self.command, self.path, headers, body)
        sent: Reply | None = reply
        if reply.delay > 0 and emulator.stopping.wait(reply.delay):
            sent = None
        emulator.record(
            Exchange(
                self.command,
                self.path,
                headers,
                body,
                None if sent is None else reply.status,
                {"Content-Type": "application/json", **reply.headers},
                reply.body,
                reply.off_spec,
            )
        )
        if sent is None:
            self.close_connection = True
            return
        self.send_response(reply.status)
        for name, value in {"Content-Type": "application/json", **reply.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        self.wfile.write(reply.body)


class LambdaEmulator(EmulatorState):
    """A stateful stand-in for the Lambda Cloud API v1 on 127.0.0.1; use as a context manager."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self.exchanges: list[Exchange] = []
        self.stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._record_lock = threading.Lock()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the emulator is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}{PREFIX}"

    def record(self, exchange: Exchange) -> None:
        with self._record_lock:
            self.exchanges.append(exchange)

    def start(self) -> LambdaEmulator:
        self.stopping.clear()
        self._server = _Server(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="lambda-emulator"
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, drop open connections and join every thread the emulator started."""
        server, thread, self._server, self._thread = self._server, self._thread, None, None
        if server is None or thread is None:
            return
        self.stopping.set()
        server.shutdown()
        thread.join()
        with server.connections_lock:
            for connection in list(server.connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
        server.server_close()

    def __enter__(self) -> LambdaEmulator:
        return self.start()

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
