"""A real HTTP server on 127.0.0.1 for tests, with routes each test programs.

    def test_it_fetches(local_server):
        local_server.route("/a", body="<p>hi</p>", headers={"ETag": '"v1"'})
        local_server.route("/old", redirect="/a")
        local_server.handle("/dyn", lambda request: Reply(304) if ... else Reply(200, body=b"..."))
        fetch(local_server.url("/old"))
        assert local_server.hits["/a"] == 1

Unknown paths answer 404. Every request is recorded (path, headers, arrival time) so tests can
assert on what the client sent and when. `local_tls_server` is the same over https, with a
self-signed certificate no trust store knows, for testing that certificates are verified.
"""

import hashlib
import hmac
import json
import shutil
import ssl
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest


@dataclass(frozen=True)
class Request:
    method: str
    path: str  # with the query string
    headers: dict[str, str]  # lower-cased names
    received_at: float  # time.monotonic()


@dataclass
class Reply:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering
    chunked: bool = False  # send with Transfer-Encoding: chunked (no Content-Length)
    chunk_size: int = 64 * 1024
    chunk_delay: float = 0.0  # seconds between chunks: a slow, dribbling server


Handler = Callable[[Request], Reply]


class LocalServer:
    def __init__(self, *, certfile: str | None = None) -> None:
        """`certfile` (certificate and key in one PEM file) makes it an https server."""
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self.requests: list[Request] = []
        self.hits: Counter[str] = Counter()  # path (without query) -> number of requests
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        # Daemon threads: a handler still sleeping on `delay` must not block stop().
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        self.scheme = "https" if certfile else "http"
        if certfile:
            context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            context.load_cert_chain(certfile)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/") -> str:
        return f"{self.scheme}://127.0.0.1:{self.port}{path}"

    def route(
        self,
        path: str,
        *,
        status: int | None = None,
        body: bytes | str = b"",
        content_type: str | None = "text/html; charset=utf-8",
        headers: dict[str, str] | None = None,
        redirect: str | None = None,
        delay: float = 0.0,
        chunked: bool = False,
        chunk_delay: float = 0.0,
    ) -> None:
        """Answer `path` with a fixed reply; `redirect` sends a 302 (or `status`) to that place."""
        all_headers = dict(headers or {})
        if content_type is not None and not redirect:
            all_headers.setdefault("Content-Type", content_type)
        if redirect:
            all_headers["Location"] = redirect
        reply = Reply(
            status=status or (302 if redirect else 200),
            body=body,
            headers=all_headers,
            delay=delay,
            chunked=chunked,
            chunk_delay=chunk_delay,
        )
        self.handle(path, lambda request: reply)

    def handle(self, path: str, handler: Handler) -> None:
        """Answer `path` by calling `handler` for each request; replaces any earlier route."""
        with self._lock:
            self._routes[path] = handler

    def requests_to(self, path: str) -> list[Request]:
        with self._lock:
            return [r for r in self.requests if r.path.split("?", 1)[0] == path]

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def _answer(self, handler: BaseHTTPRequestHandler) -> None:
        request = Request(
            method=handler.command,
            path=handler.path,
            headers={name.lower(): value for name, value in handler.headers.items()},
            received_at=time.monotonic(),
        )
        path = handler.path.split("?", 1)[0]
        with self._lock:
            self.requests.append(request)
            self.hits[path] += 1
            route = self._routes.get(path)
        reply = route(request) if route else Reply(404, b"not found", {"Content-Type": "text/plain"})
        if reply.delay and self._stopping.wait(reply.delay):
            return
        body = reply.body.encode() if isinstance(reply.body, str) else reply.body
        handler.send_response(reply.status)
        for name, value in reply.headers.items():
            handler.send_header(name, value)
        if reply.chunked:
            handler.send_header("Transfer-Encoding", "chunked")
        elif not any(name.lower() == "content-length" for name in reply.headers):
            handler.send_header("Content-Length", str(len(body)))
        handler.send_header("Connection", "close")
        handler.end_headers()
        if not reply.chunked:
            handler.wfile.write(body)
            return
        for start in range(0, len(body), reply.chunk_size):
            piece = body[start : start + reply.chunk_size]
            handler.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
            if reply.chunk_delay and self._stopping.wait(reply.chunk_delay):
                return
        handler.wfile.write(b"0\r\n\r\n")


def _make_handler(server: LocalServer) -> type[BaseHTTPRequestHandler]:
    class _Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # needed for chunked replies

        def do_GET(self) -> None:  # the name http.server looks for
            try:
                server._answer(self)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client gave up early (body cap, timeout): that is what tests provoke

        def log_message(self, format: str, *args: object) -> None:
            pass  # keep test output quiet

    return _Handler


@pytest.fixture
def local_server() -> Iterator[LocalServer]:
    server = LocalServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def local_tls_server(tmp_path: Path) -> Iterator[LocalServer]:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("needs the openssl command to make a certificate")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=localhost", "-keyout", str(key), "-out", str(cert),
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True,
        capture_output=True,
    )  # fmt: skip
    pem = tmp_path / "server.pem"
    pem.write_bytes(key.read_bytes() + cert.read_bytes())
    server = LocalServer(certfile=str(pem))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def receiver(local_server, settings):
    """A partner's webhook endpoint: the local HTTP server, taught to take POSTs; every request
    (headers, body) is kept in `received`; `/hook` answers 200."""
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0
    received: list[tuple[dict[str, str], bytes]] = []
    lock = threading.Lock()

    def do_POST(handler) -> None:  # the name http.server looks for
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        with lock:
            received.append(({k.lower(): v for k, v in handler.headers.items()}, body))
        local_server._answer(handler)

    local_server._server.RequestHandlerClass.do_POST = do_POST
    local_server.received = received
    local_server.route("/hook", body="ok", content_type="text/plain")
    return local_server


def verify_signature(secret: str, header: str, body: bytes, *, tolerance: int = 300) -> dict:
    """What a partner's receiver does: check the timestamp is fresh and the HMAC matches."""
    fields = dict(part.split("=", 1) for part in header.split(","))
    timestamp = int(fields["t"])
    assert abs(time.time() - timestamp) < tolerance, "stale timestamp: a replay"
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, fields["v1"]), "bad signature"
    return json.loads(body)
