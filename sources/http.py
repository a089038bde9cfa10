"""The one HTTP client for everything that connects out: pages, feeds and robots.txt, and webhook POSTs.

Any URL it is handed may come from a user or a partner, so every hop (each redirect included) is
checked the same way: http/https only, no credentials in the URL; the host is resolved once and every
address checked against private, loopback, link-local, multicast, reserved and cloud-metadata ranges;
then urllib3 connects to exactly the checked address (the host name goes only into the Host header,
SNI and the certificate check), so DNS cannot change its answer in between. One deadline bounds the
whole request (connects, headers, body, every redirect, and whatever the caller does between hops);
bodies are capped while streaming and after decompression.

`FETCH_ALLOWED_PRIVATE_HOSTS` (host names, IPs or CIDRs) lets tests and local demos reach private
addresses. Cloud-metadata addresses stay refused even when listed: no demo needs them, and a broad
CIDR typed by mistake must not hand out instance credentials.

Every failure is an `HttpError`: a message a reviewer can act on, `permanent` when a retry would fail
the same way, and `kind` for callers whose retry policy differs (webhooks, re-checks).
"""

import ipaddress
import re
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPException
from urllib.parse import quote, urljoin, urlsplit

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    LocationValueError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import HTTPError as Urllib3Error

# --- the one error ---------------------------------------------------------------------------------

_TRANSIENT_KINDS = frozenset({"dns", "timeout", "connection"})


class HttpError(Exception):
    """A request that failed. `permanent`: retrying later would fail the same way.

    `kind` is one of invalid_url, dns, blocked_address, connection, timeout, decode, http_status,
    too_large, too_many_redirects, and the fetcher's own unsupported_type and robots.
    """

    def __init__(self, message: str, *, permanent: bool, kind: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.kind = kind
        self.status = status


def error(kind: str, message: str, *, permanent: bool | None = None, status: int | None = None) -> HttpError:
    """An HttpError that is transient for DNS failures, timeouts and broken connections only.

    Every other kind fails the same way on a retry; the few exceptions (HTTP 429 / 5xx, a robots.txt
    outage, a TLS failure) pass `permanent` explicitly where they are raised.
    """
    if permanent is None:
        permanent = kind not in _TRANSIENT_KINDS
    return HttpError(message, permanent=permanent, kind=kind, status=status)


def is_transient_status(status: int) -> bool:
    """408/425/429 and 5xx are the server saying "not now"; any other 4xx will not change on retry."""
    return status in (408, 425, 429) or status >= 500


# --- which addresses are off limits ----------------------------------------------------------------

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

METADATA = "cloud metadata address"
# AWS (IPv4 and IPv6), GCP and Azure share 169.254.169.254; Alibaba Cloud uses 100.100.100.200.
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, NAT64, 6to4, Teredo), if any.

    `::ffff:10.0.0.1` reaches 10.0.0.1, so it must be judged as 10.0.0.1.
    """
    if not isinstance(address, ipaddress.IPv6Address):
        return None
    if address.ipv4_mapped:
        return address.ipv4_mapped
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour:
        return address.sixtofour
    return address.teredo[1] if address.teredo else None


def refusal_reason(address: IPAddress) -> str | None:
    """Why `address` must not be reached, e.g. "private address"; None for a public address."""
    if address in _METADATA_ADDRESSES:
        return METADATA
    embedded = embedded_ipv4(address)
    if embedded is not None:
        return refusal_reason(embedded)
    checks = (
        ("loopback", address.is_loopback),
        ("unspecified", address.is_unspecified),
        ("link-local", address.is_link_local),
        ("multicast", address.is_multicast),
        ("private", address.is_private),
        ("reserved", address.is_reserved),
    )
    for reason, hit in checks:
        if hit:
            return f"{reason} address"
    # Catches what the flags above miss, e.g. 100.64.0.0/10 (carrier-grade NAT).
    return None if address.is_global else "non-public address"


def is_allow_listed(host: str, address: IPAddress, entries: Iterable[str]) -> bool:
    """Whether an allow-list entry (host name, IP or CIDR) covers `host` resolved to `address`."""
    for raw in entries:
        entry = raw.strip().lower().rstrip(".")
        try:
            network = ipaddress.ip_network(entry.strip("[]"), strict=False)
        except ValueError:
            if entry and entry == host:
                return True
            continue
        embedded = embedded_ipv4(address)
        if address in network or (embedded is not None and embedded in network):
            return True
    return False


# --- URLs and the addresses they may reach ---------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """One http(s) URL, validated and split into what a connection needs."""

    url: str
    scheme: str
    host: str  # lower-case, IDNA-encoded, without brackets
    port: int
    request_path: str  # path plus query, percent-encoded, as sent on the request line

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default_port = 443 if self.scheme == "https" else 80
        return host if self.port == default_port else f"{host}:{self.port}"

    @property
    def origin(self) -> str:
        return f"{self.scheme}://{self.host_header}"


def _verb(method: str) -> str:
    """How messages name the request: "Refused to fetch …" for a GET, "Refused to send to …" else."""
    return "fetch" if method == "GET" else "send to"


def _split_url(url: str) -> Target:
    """Split `url`; raise ValueError, with a reason a reviewer can read, when it cannot be requested."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise ValueError(f"malformed URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise ValueError("only http and https URLs can be fetched")
    if not parts.hostname:
        raise ValueError("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise ValueError("URLs with credentials in them are not fetched")
    try:
        host = parts.hostname.rstrip(".").encode("idna").decode("ascii")
    except UnicodeError:
        raise ValueError("the host name is not valid") from None
    path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
    query = quote(parts.query, safe="/?%:@!$&'()*+,;=-._~")
    return Target(
        url=url,
        scheme=scheme,
        host=host,
        port=port or (443 if scheme == "https" else 80),
        request_path=path + (f"?{query}" if query else ""),
    )


def parse_target(url: str, *, method: str = "GET") -> Target:
    try:
        return _split_url(url.strip())
    except ValueError as exc:
        raise error("invalid_url", f"Cannot {_verb(method)} {url!r}: {exc}") from None


# "No such name" is an answer, and it will be the same answer in a minute; only a resolver that
# could not answer (EAI_AGAIN, a timeout) is worth a retry.
_NO_SUCH_NAME = frozenset(
    getattr(socket, name) for name in ("EAI_NONAME", "EAI_NODATA") if hasattr(socket, name)
)


def checked_addresses(target: Target, *, method: str = "GET") -> list[str]:
    """Resolve the host once and return its addresses, every one checked; connect to these only.

    One refused answer refuses the whole host: a mixed answer is what a DNS-rebinding attack looks
    like. Cloud metadata addresses stay refused even when the allow-list covers them.
    """
    host = target.host
    try:
        infos = socket.getaddrinfo(host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        no_such_name = isinstance(exc, socket.gaierror) and exc.errno in _NO_SUCH_NAME
        raise error(
            "dns", f"Could not resolve {host}: {_reason(exc)}", permanent=no_such_name or None
        ) from None
    entries = list(settings.FETCH_ALLOWED_PRIVATE_HOSTS or [])
    addresses: list[str] = []
    for info in infos:
        raw = str(info[4][0]).split("%", 1)[0]  # drop an IPv6 zone id
        address = ipaddress.ip_address(raw)
        reason = refusal_reason(address)
        if reason and (reason == METADATA or not is_allow_listed(host, address, entries)):
            shown = raw if raw == host else f"{host} ({raw})"
            raise error("blocked_address", f"Refused to {_verb(method)} {shown}: {reason}")
        if raw not in addresses:
            addresses.append(raw)
    if not addresses:
        raise error("dns", f"Could not resolve {host}: it has no address")
    return addresses


def check_url(url: str, *, method: str) -> None:
    """Raise HttpError when `url` is not one this client would ever send `method` to.

    For checking a URL when it is registered (a webhook), long before anything is sent to it.
    """
    checked_addresses(parse_target(url, method=method), method=method)


# --- the deadline ----------------------------------------------------------------------------------


class Deadline:
    """One wall clock for a whole request, shutting its sockets when it passes.

    Socket timeouts bound each read, not the whole: a server that sends its headers a byte a second
    never lets one read time out, and http.client reads headers without returning to us. This timer
    (one thread per request, cancelled when the `with` block ends) makes the deadline hold for the
    connect, the headers and the body alike. `url` is the one the timeout message names: the page
    asked for, even when its robots.txt is what ran out of time.
    """

    def __init__(self, seconds: float, *, url: str) -> None:
        self.seconds = seconds
        self.url = url
        self.started = time.monotonic()
        self.ends_at = self.started + seconds
        self.fired = False
        self._sockets: list[socket.socket] = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def remaining(self) -> float:
        """Seconds left; raises the timeout HttpError once there are none."""
        left = self.ends_at - time.monotonic()
        if left <= 0:
            raise self.expired()
        return left

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)

    def expired(self) -> HttpError:
        return error("timeout", f"Gave up on {self.url}: no full answer within {self.seconds:g} s")

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._sockets.append(sock)
            fired = self.fired
        if fired:
            self._shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self._sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the requesting thread at once
        except OSError:
            pass  # already closed

    def __enter__(self) -> "Deadline":
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


# --- connections pinned to the checked address -----------------------------------------------------

_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Only urllib3's own decoders are advertised and accepted: they decompress incrementally with a
# bounded output per read (urllib3 >= 2.6), which is what keeps a gzip bomb from filling memory.
ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]
_DECODABLE = frozenset({"identity", *urllib3.response.HTTPResponse.CONTENT_DECODERS})
_CHUNK = 64 * 1024
_MAX_ADDRESSES_TRIED = 3
# Library wrapping around a network error that tells a reviewer nothing: the connection or pool
# ("HTTPConnectionPool(host=..., port=...): "), errno and OpenSSL source locations.
_NOISE = re.compile(
    r"\w+\(host=[^)]*\): |Failed to establish a new connection: "
    r"|\[Errno -?\d+\] |\[SSL: \w+\] | \(_ssl\.c:\d+\)"
)


def _reason(exc: BaseException | None) -> str:
    """The error in words: "Connection refused", not "HTTPConnection(host=...): Failed to ..."."""
    return _NOISE.sub("", str(exc)).strip() or type(exc).__name__


def _watched(connection_class: type, deadline: Deadline) -> type:
    """The pool's connection class, reporting each new socket to the deadline's timer."""

    class Watched(connection_class):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            deadline.watch(sock)
            return sock

    return Watched


def _pinned_pool(target: Target, address: str, *, timeout: urllib3.Timeout) -> urllib3.HTTPConnectionPool:
    """A one-connection pool to the checked IP, never to the host name, so urllib3 cannot resolve again."""
    if target.scheme == "https":
        return urllib3.HTTPSConnectionPool(
            address,
            target.port,
            timeout=timeout,
            maxsize=1,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    return urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1)


def _network_error(exc: BaseException, target: Target, method: str) -> HttpError:
    host = target.host
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return error("timeout", f"{host} did not answer in time")
    if isinstance(exc, SSLError):
        # A certificate that does not verify rarely fixes itself within a retry's backoff.
        return error("connection", f"Secure connection to {host} failed: {_reason(exc)}", permanent=True)
    if isinstance(exc, DecodeError):
        return error("decode", f"The response from {host} could not be decompressed")
    if isinstance(exc, LocationValueError):
        return error("invalid_url", f"Cannot {_verb(method)} {target.url!r}: {exc}")
    return error("connection", f"Connection to {host} failed: {_reason(exc)}")


def _status_error(status: int, target: Target) -> HttpError:
    try:
        phrase = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = str(status)
    return error(
        "http_status",
        f"{target.host} answered {phrase} for {target.url}",
        permanent=not is_transient_status(status),
        status=status,
    )


@dataclass(frozen=True)
class Timeouts:
    """Per-connect and per-read limits; the whole request is bounded by its Deadline."""

    connect: float
    read: float


class Response:
    """The answer of the last hop; valid inside the `with open_request(...)` block only."""

    def __init__(
        self, raw: urllib3.BaseHTTPResponse, target: Target, deadline: Deadline, redirects: list[str]
    ) -> None:
        self._raw = raw
        self._target = target
        self._deadline = deadline
        self.url = target.url
        self.host = target.host
        self.status = raw.status
        self.redirects = redirects
        # Iterating an HTTPHeaderDict yields each name once; indexing joins repeated headers.
        self.headers = {name.lower(): raw.headers[name] for name in raw.headers}

    def status_error(self) -> HttpError:
        """What this status means as a failure: transient for 408/425/429 and 5xx, else permanent."""
        return _status_error(self.status, self._target)

    def read(self, max_bytes: int) -> bytes:
        """The whole body, decompressed; HttpError(kind="too_large") past `max_bytes` either way."""
        host = self.host
        too_large = error("too_large", f"The response from {host} is larger than {max_bytes:,} bytes")
        declared = self.headers.get("content-length", "").strip()
        if declared.isdigit() and int(declared) > max_bytes:
            raise too_large
        for encoding in self.headers.get("content-encoding", "").lower().split(","):
            if encoding.strip() and encoding.strip() not in _DECODABLE:
                raise error("decode", f"{host} sent the body as {encoding.strip()!r}, which we cannot decode")
        parts: list[bytes] = []
        size = 0
        while True:
            self._deadline.remaining()  # a server dribbling bytes must not outlast the deadline
            # read1 makes at most one read on the socket, so the deadline check above runs often;
            # urllib3 inflates at most _CHUNK bytes per call, so a bomb is stopped at the cap.
            chunk = self._raw.read1(_CHUNK, decode_content=True)
            if not chunk:
                return b"".join(parts)
            size += len(chunk)
            if size > max_bytes or self._raw.tell() > max_bytes:
                raise too_large
            parts.append(chunk)

    def read_start(self, size: int) -> bytes:
        """At most the first `size` bytes as sent (not decompressed), for a log; never too_large."""
        return self._raw.read(size, decode_content=False)


@contextmanager
def _sent(
    method: str,
    target: Target,
    addresses: list[str],
    *,
    headers: dict[str, str],
    body: bytes | None,
    timeouts: Timeouts,
    deadline: Deadline,
) -> Iterator[urllib3.BaseHTTPResponse]:
    """Send one request to the first checked address that accepts a connection; yield its response."""
    last_error: Exception | None = None
    for address in addresses[:_MAX_ADDRESSES_TRIED]:
        left = deadline.remaining()
        timeout = urllib3.Timeout(connect=min(timeouts.connect, left), read=min(timeouts.read, left))
        pool = _pinned_pool(target, address, timeout=timeout)
        pool.ConnectionCls = _watched(pool.ConnectionCls, deadline)
        try:
            response = pool.urlopen(
                method,
                target.request_path,
                body=body,
                headers=headers,
                retries=False,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=True,
            )
        except NewConnectionError as exc:  # refused or unreachable: the next address may answer
            last_error = exc
            pool.close()
            continue
        except BaseException:
            pool.close()
            raise
        try:
            yield response
        finally:
            response.release_conn()
            pool.close()
        return
    raise error("connection", f"Could not connect to {target.host}: {_reason(last_error)}")


def _redirect_location(response: Response, current: str) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise response.status_error()
    try:  # http.client reads header bytes as latin-1; sites send UTF-8 paths raw
        location = location.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass
    return urljoin(current, location)


@contextmanager
def open_request(
    method: str,
    url: str,
    *,
    deadline: Deadline,
    timeouts: Timeouts,
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    max_redirects: int = 0,
    before_hop: Callable[[Target], None] | None = None,
) -> Iterator[Response]:
    """Send `method` to `url` and yield the last hop's Response, whatever its status.

    With `max_redirects` (GET only) redirects are followed, each hop checked like the first;
    without, a 3xx is yielded as it came. `before_hop(target)` runs after a hop's address check and
    before it is sent (robots.txt, politeness); whatever it raises ends the request. Everything that
    goes wrong, in here or in the caller's block, comes out as HttpError.
    """
    if max_redirects and method != "GET":
        raise ValueError("only a GET follows redirects: another method would be replayed to a new place")
    # One User-Agent for everything we send, so a site or a partner can tell it is us.
    sent_headers = {**(headers or {}), "User-Agent": settings.FETCH_USER_AGENT}
    redirects: list[str] = []
    current = url
    while True:
        target = parse_target(current, method=method)
        addresses = checked_addresses(target, method=method)  # before_hop: a refused host gets nothing
        if before_hop is not None:
            before_hop(target)
        try:
            with _sent(
                method,
                target,
                addresses,
                headers={"Host": target.host_header, **sent_headers},
                body=body,
                timeouts=timeouts,
                deadline=deadline,
            ) as raw:
                response = Response(raw, target, deadline, list(redirects))
                if not (max_redirects and response.status in _REDIRECT_STATUSES):
                    yield response
                    return
                following = _redirect_location(response, current)
        except (Urllib3Error, OSError, HTTPException) as exc:  # and socket errors urllib3 lets through
            if deadline.fired:
                raise deadline.expired() from exc
            raise _network_error(exc, target, method) from exc
        except HttpError as exc:
            if deadline.fired and exc.kind != "timeout":  # e.g. a body cut short by the deadline
                raise deadline.expired() from exc
            raise
        if following == url or following in redirects:
            raise error("too_many_redirects", f"{url} redirects in a loop (back to {following})")
        if len(redirects) >= max_redirects:
            raise error("too_many_redirects", f"{url} redirects more than {max_redirects} times")
        redirects.append(following)
        current = following


# --- a POST in one call ----------------------------------------------------------------------------


@dataclass(frozen=True)
class PostResult:
    status: int
    excerpt: str  # the start of the response body, for a delivery log


def post(
    url: str, *, body: bytes, headers: dict[str, str], timeouts: Timeouts, total_timeout: float
) -> PostResult:
    """POST `body` once and return the status, whatever it is; raise HttpError when none came back.

    Redirects are not followed: a receiver that moved must say so with a new URL, and following
    would replay the body to a place nobody registered.
    """
    with Deadline(total_timeout, url=url) as deadline:
        with open_request(
            "POST", url, deadline=deadline, timeouts=timeouts, headers=headers, body=body
        ) as response:
            excerpt = response.read_start(500)
    return PostResult(status=response.status, excerpt=excerpt.decode("utf-8", "replace"))
