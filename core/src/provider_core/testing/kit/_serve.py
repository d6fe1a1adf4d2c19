"""Serve any WSGI app over real HTTP/1.1 on a loopback port: one thread per connection, clean stops."""

from __future__ import annotations

import contextlib
import io
import socket
import sys
import threading
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote
from wsgiref.types import WSGIApplication, WSGIEnvironment

# environ keys this server adds: the stop signal apps wait on, and the request target as sent (WSGI
# decodes PATH_INFO, but an emulator must see "..%2F" in a path the way the real API would).
STOPPING = "provider_core.kit.stopping"
RAW_URI = "RAW_URI"


class DropConnection(Exception):
    """Raised by an app to close the connection without answering (a reply lost on the way)."""


class _Server(ThreadingHTTPServer):
    # Handler threads are joined on close, so a stopped server leaves nothing running.
    daemon_threads = False
    block_on_close = True
    # socketserver listens with a backlog of 5: a burst of new connections (a bulk spawn from 8 threads)
    # on a busy machine overflowed it, and the kernel dropped SYNs, which the client resends after a
    # second: a request that left on time reached the server a second late, as no real API's would.
    request_queue_size = 128

    def __init__(self, app: WSGIApplication) -> None:
        self.app = app
        self.stopping = threading.Event()
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(("127.0.0.1", 0), _Handler)

    def track(self, connection: socket.socket) -> None:
        with self._open_lock:
            if self.stopping.is_set():
                # Accepted just before the stop: end it now rather than wait for its first read.
                _cut(connection)
            else:
                self._open.add(connection)

    def untrack(self, connection: socket.socket) -> None:
        with self._open_lock:
            self._open.discard(connection)

    def cut_open_connections(self) -> None:
        with self._open_lock:
            self.stopping.set()
            for connection in self._open:
                _cut(connection)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out and hung up is routine in tests, not a server fault.
        if not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def _cut(connection: socket.socket) -> None:
    # Wakes the handler thread blocked reading the next request on a kept-alive connection.
    with contextlib.suppress(OSError):  # the client closed it already
        connection.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; with Nagle's algorithm on they meet the client's
    # delayed ACK and every answer costs ~40 ms. StreamRequestHandler sets TCP_NODELAY for this.
    disable_nagle_algorithm = True
    # A safety net only: cut_open_connections wakes idle connections long before this.
    timeout = 60
    server: _Server

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection)

    def finish(self) -> None:
        self.server.untrack(self.connection)
        super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: request lines would only clutter test output."""

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        started: list[tuple[str, list[tuple[str, str]]]] = []
        chunks: list[bytes] = []

        def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            started[:] = [(status, headers)]
            return chunks.append

        try:
            result = self.server.app(self._environ(body), start_response)
            try:
                chunks.extend(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        except DropConnection:
            self.close_connection = True
            return
        except Exception:
            # An emulator bug: answer it loudly instead of hanging the client.
            status, headers = "500 Internal Server Error", [("Content-Type", "text/plain")]
            started[:], chunks[:] = [(status, headers)], [traceback.format_exc().encode()]
        status, headers = started[0]
        code, _, reason = status.partition(" ")
        self.send_response(int(code), reason or None)
        for name, value in headers:
            if name.lower() != "content-length":
                self.send_header(name, value)
        payload = b"".join(chunks)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if payload and self.command != "HEAD":
            self.wfile.write(payload)

    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _serve

    def _environ(self, body: bytes) -> WSGIEnvironment:
        path, _, query = self.path.partition("?")
        host, port = self.server.server_address[:2]
        environ: WSGIEnvironment = {
            "REQUEST_METHOD": self.command,
            "SCRIPT_NAME": "",
            "PATH_INFO": unquote(path, encoding="latin-1"),
            "QUERY_STRING": query,
            RAW_URI: self.path,
            "SERVER_NAME": str(host),
            "SERVER_PORT": str(port),
            "SERVER_PROTOCOL": self.request_version,
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            "CONTENT_LENGTH": str(len(body)),
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "wsgi.errors": sys.stderr,
            "wsgi.multithread": True,
            "wsgi.multiprocess": False,
            "wsgi.run_once": False,
            STOPPING: self.server.stopping,
        }
        for name, value in self.headers.items():
            key = "HTTP_" + name.upper().replace("-", "_")
            if key not in ("HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"):
                environ[key] = f"{environ[key]},{value}" if key in environ else value
        return environ


class Server:
    """A WSGI app served on 127.0.0.1 at an ephemeral port until close(); also a context manager."""

    def __init__(self, app: WSGIApplication, *, name: str = "wsgi-server") -> None:
        self._server = _Server(app)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=name
        )
        self._thread.start()
        self._closed = False

    @property
    def port(self) -> int:
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def close(self) -> None:
        """Stop accepting, drop open connections, cut pending delays and join every thread started."""
        if self._closed:
            return
        self._closed = True
        self._server.cut_open_connections()
        self._server.shutdown()
        self._thread.join()
        self._server.server_close()  # joins the handler threads (block_on_close)

    def __enter__(self) -> Server:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def serve(app: WSGIApplication, *, name: str = "wsgi-server") -> Server:
    """Start serving app over HTTP on a free loopback port; close the result (or use `with`) to stop."""
    return Server(app, name=name)
