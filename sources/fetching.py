"""The one HTTP client for articles and sources: safe to point at any URL a user or partner sends.

Every hop of a fetch (redirects included) is checked the same way: http/https only; the host is
resolved once and every address checked against private, loopback, link-local, multicast, reserved
and cloud-metadata ranges; then urllib3 connects to exactly the checked address (the hostname goes
only into the Host header, SNI and certificate check), so DNS cannot change its answer in between.
Bodies are capped while streaming and after decompression, only text types are accepted, robots.txt
is honoured and each host gets at most one request per `FETCH_DOMAIN_MIN_INTERVAL` seconds.

`FETCH_ALLOWED_PRIVATE_HOSTS` (host names, IPs or CIDRs) lets tests and local demos reach private
addresses. Cloud-metadata addresses stay refused even when listed: no demo needs them, and a broad
CIDR typed by mistake must not hand out instance credentials.
"""

import functools
import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http import HTTPStatus
from http.client import HTTPException
from urllib.parse import urljoin

import urllib3
from django.conf import settings
from urllib3.exceptions import (
    ConnectTimeoutError,
    DecodeError,
    HTTPError,
    LocationValueError,
    NewConnectionError,
    ReadTimeoutError,
    SSLError,
)

from sources.addresses import RefusedAddress, Target, UnresolvedHost, checked_addresses, parse_target
from sources.charsets import decode_body, looks_binary, media_type_and_charset, sniff_media_type
from sources.politeness import wait_for_turn
from sources.robots import RobotsFile, RobotsRules, cached_robots_file

ALLOWED_CONTENT_TYPES = tuple(
    "text/html application/xhtml+xml text/plain application/xml text/xml "
    "application/rss+xml application/atom+xml".split()
)
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
# Only urllib3's own decoders are advertised and accepted: they decompress incrementally with a
# bounded output per read (urllib3 >= 2.6), which is what keeps a gzip bomb from filling memory.
_ACCEPT_ENCODING = urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]
_DECODABLE = frozenset({"identity", *urllib3.response.HTTPResponse.CONTENT_DECODERS})
_CHUNK = 64 * 1024
_ROBOTS_MAX_BYTES = 500_000  # RFC 9309 asks crawlers to parse at least 500 KiB.
_MAX_ADDRESSES_TRIED = 3
# Library wrapping around a network error that tells a reviewer nothing.
_NOISE = re.compile(
    r"\w*HTTPS?Connection\([^)]*\): |Failed to establish a new connection: "
    r"|\[Errno -?\d+\] |\[SSL: \w+\] | \(_ssl\.c:\d+\)"
)


class FetchError(Exception):
    """A fetch that failed. `permanent` tells callers whether retrying later can help."""

    def __init__(self, message: str, *, permanent: bool, kind: str, status: int | None = None):
        super().__init__(message)
        self.message = message
        self.permanent = permanent
        self.kind = kind
        self.status = status


@dataclass(frozen=True)
class FetchResult:
    requested_url: str
    url: str
    status: int
    headers: dict[str, str]
    content_type: str
    charset: str | None
    body: bytes
    text: str
    etag: str | None
    last_modified: str | None
    redirects: list[str]
    elapsed_ms: int
    not_modified: bool


_TRANSIENT_KINDS = frozenset({"dns", "timeout", "connection"})


class _Watchdog:
    """Shuts the fetch's sockets when its deadline passes.

    Socket timeouts bound each read, not the whole: a server that sends its headers a byte a second
    never lets one read time out, and http.client reads headers without returning to us. This timer
    (one thread per fetch, cancelled when the fetch ends) makes the deadline a wall clock for the
    connect, the headers and the body alike.
    """

    def __init__(self, seconds: float) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self.sockets.append(sock)
            fired = self.fired
        if fired:
            self._shut(sock)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            sockets = list(self.sockets)
        for sock in sockets:
            self._shut(sock)

    @staticmethod
    def _shut(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv in the fetching thread at once
        except OSError:
            pass  # already closed

    def __enter__(self) -> "_Watchdog":
        self._timer.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._timer.cancel()


def _watched(connection_class: type, watchdog: _Watchdog) -> type:
    """The pool's connection class, reporting each new socket to the watchdog."""

    class Watched(connection_class):  # type: ignore[misc, valid-type]
        def _new_conn(self) -> socket.socket:
            sock = super()._new_conn()
            watchdog.watch(sock)
            return sock

    return Watched


def _error(
    kind: str, message: str, *, permanent: bool | None = None, status: int | None = None
) -> FetchError:
    """A FetchError that is transient for DNS failures, timeouts and broken connections only.

    Every other kind fails the same way on a retry; the few exceptions (HTTP 429 / 5xx, a robots.txt
    outage, a TLS failure) pass `permanent` explicitly where they are raised.
    """
    if permanent is None:
        permanent = kind not in _TRANSIENT_KINDS
    return FetchError(message, permanent=permanent, kind=kind, status=status)


@dataclass(frozen=True)
class _Job:
    """What one call of `fetch` asked for; shared by its redirect hops and its robots.txt."""

    requested_url: str
    accept: tuple[str, ...]
    conditional: dict[str, str]
    respect_robots: bool
    max_bytes: int
    started: float
    deadline: float
    watchdog: _Watchdog

    def remaining(self) -> float:
        left = self.deadline - time.monotonic()
        if left <= 0:
            raise _deadline_error(self)
        return left

    def elapsed_ms(self) -> int:
        return round((time.monotonic() - self.started) * 1000)


def _reason(exc: BaseException | None) -> str:
    """The error in words: "Connection refused", not "HTTPConnection(host=...): Failed to ..."."""
    return _NOISE.sub("", str(exc)).strip() or type(exc).__name__


def _setting(name: str) -> float:
    return float(getattr(settings, name))


def _user_agent() -> str:
    return str(settings.FETCH_USER_AGENT)


def _parse_target(url: str) -> Target:
    try:
        return parse_target(url.strip())
    except ValueError as exc:
        raise _error("invalid_url", f"Cannot fetch {url!r}: {exc}") from None


def _resolve(target: Target) -> list[str]:
    """Resolve the host and check every address; return the addresses to connect to."""
    allow_list = settings.FETCH_ALLOWED_PRIVATE_HOSTS or []
    try:
        return checked_addresses(target.host, target.port, allow_list=allow_list)
    except UnresolvedHost as exc:
        why = _reason(exc.cause) if exc.cause else "it has no address"
        raise _error(
            "dns", f"Could not resolve {target.host}: {why}", permanent=exc.permanent or None
        ) from None
    except RefusedAddress as exc:
        shown = exc.address if exc.address == target.host else f"{target.host} ({exc.address})"
        raise _error("blocked_address", f"Refused to fetch {shown}: {exc.reason}") from None


@contextmanager
def _open(
    target: Target, addresses: list[str], headers: dict[str, str], job: _Job
) -> Iterator[urllib3.BaseHTTPResponse]:
    """Send the GET to the first checked address that accepts a connection; yield the response."""
    last_error: Exception | None = None
    for address in addresses[:_MAX_ADDRESSES_TRIED]:
        left = job.remaining()
        timeout = urllib3.Timeout(
            connect=min(_setting("FETCH_CONNECT_TIMEOUT"), left),
            read=min(_setting("FETCH_READ_TIMEOUT"), left),
        )
        # The pool is given the checked IP, never the host name, so urllib3 cannot resolve again.
        pool: urllib3.HTTPConnectionPool
        if target.scheme == "https":
            tls = {"server_hostname": target.host, "assert_hostname": target.host}
            pool = urllib3.HTTPSConnectionPool(
                address, target.port, timeout=timeout, maxsize=1, cert_reqs="CERT_REQUIRED", **tls
            )
        else:
            pool = urllib3.HTTPConnectionPool(address, target.port, timeout=timeout, maxsize=1)
        pool.ConnectionCls = _watched(pool.ConnectionCls, job.watchdog)
        try:
            response = pool.urlopen(
                "GET",
                target.request_path,
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
    raise _error("connection", f"Could not connect to {target.host}: {_reason(last_error)}")


def _network_error(exc: Exception, target: Target) -> FetchError:
    host = target.host
    if isinstance(exc, ConnectTimeoutError | ReadTimeoutError | TimeoutError):
        return _error("timeout", f"{host} did not answer in time")
    if isinstance(exc, SSLError):
        # A certificate that does not verify rarely fixes itself within a retry's backoff.
        return _error("connection", f"Secure connection to {host} failed: {_reason(exc)}", permanent=True)
    if isinstance(exc, DecodeError):
        return _error("decode", f"The response from {host} could not be decompressed")
    if isinstance(exc, LocationValueError):
        return _error("invalid_url", f"Cannot fetch {target.url!r}: {exc}")
    return _error("connection", f"Connection to {host} failed: {_reason(exc)}")


def _status_error(status: int, target: Target) -> FetchError:
    try:
        phrase = f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        phrase = str(status)
    # 408/425/429 and 5xx are the server saying "not now"; any other 4xx will not change on retry.
    transient = status in (408, 425, 429) or status >= 500
    return _error(
        "http_status",
        f"{target.host} answered {phrase} for {target.url}",
        permanent=not transient,
        status=status,
    )


def _read_body(response: urllib3.BaseHTTPResponse, target: Target, job: _Job) -> bytes:
    too_large = _error("too_large", f"The response from {target.host} is larger than {job.max_bytes:,} bytes")
    declared = response.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > job.max_bytes:
        raise too_large
    for encoding in response.headers.get("content-encoding", "").lower().split(","):
        if encoding.strip() and encoding.strip() not in _DECODABLE:
            raise _error(
                "decode", f"{target.host} sent the body as {encoding.strip()!r}, which we cannot decode"
            )
    parts: list[bytes] = []
    size = 0
    while True:
        job.remaining()  # a server dribbling bytes must not outlast the deadline
        # read1 makes at most one read on the socket, so the deadline check above runs often;
        # urllib3 inflates at most _CHUNK bytes per call, so a bomb is stopped at the cap.
        chunk = response.read1(_CHUNK, decode_content=True)
        if not chunk:
            return b"".join(parts)
        size += len(chunk)
        if size > job.max_bytes or response.tell() > job.max_bytes:
            raise too_large
        parts.append(chunk)


def _check_robots(target: Target, job: _Job) -> None:
    """Raise FetchError(kind="robots") when the origin's robots.txt forbids `target`.

    A missing robots.txt or any 4xx means everything is allowed (RFC 9309 §2.3.1.3). A 5xx or 429
    means the site cannot say, and RFC 9309 §2.3.1.4 tells crawlers to assume everything is
    disallowed: that is a transient refusal, remembered for 5 minutes, so the task retries later.
    """

    def load() -> RobotsFile:
        robots_job = _Job(
            requested_url=f"{target.origin}/robots.txt",
            accept=ALLOWED_CONTENT_TYPES,
            conditional={},
            respect_robots=False,
            max_bytes=_ROBOTS_MAX_BYTES,
            started=time.monotonic(),
            deadline=job.deadline,
            watchdog=job.watchdog,  # the page's deadline, the page's watchdog
        )
        try:
            return RobotsFile(text=_fetch(robots_job).text)
        except FetchError as exc:
            if exc.kind == "http_status" and not exc.permanent:
                return RobotsFile(unavailable_status=exc.status)
            if exc.permanent:
                return RobotsFile()  # no usable robots.txt: nothing is forbidden
            if exc.kind == "timeout":  # name the page the user asked for, not its robots.txt
                raise _deadline_error(job) from exc
            raise  # the site is unreachable: say so, as the page itself would

    robots = cached_robots_file(target.origin, load)
    if robots.unavailable_status:
        raise _error(
            "robots",
            f"robots.txt of {target.host} answered {robots.unavailable_status}; until it answers "
            "properly the site counts as closed to crawlers",
            permanent=False,
            status=robots.unavailable_status,
        )
    if not RobotsRules.parse(robots.text).allows(_user_agent(), target.request_path):
        raise _error("robots", f"robots.txt of {target.host} does not allow fetching {target.url}")


def _result(
    response: urllib3.BaseHTTPResponse, target: Target, job: _Job, redirects: list[str]
) -> FetchResult:
    # Iterating an HTTPHeaderDict yields each name once; indexing joins repeated headers.
    headers = {name.lower(): response.headers[name] for name in response.headers}
    media_type, header_charset = media_type_and_charset(headers.get("content-type", ""))
    done = functools.partial(
        FetchResult,
        requested_url=job.requested_url,
        url=target.url,
        headers=headers,
        redirects=redirects,
    )
    if response.status == 304 and job.conditional:
        return done(
            status=304,
            content_type=media_type,
            charset=None,
            body=b"",
            text="",
            # A 304 may leave the validators out; the caller's ones still hold then.
            etag=headers.get("etag") or job.conditional.get("If-None-Match"),
            last_modified=headers.get("last-modified") or job.conditional.get("If-Modified-Since"),
            elapsed_ms=job.elapsed_ms(),
            not_modified=True,
        )
    if not 200 <= response.status < 300:
        raise _status_error(response.status, target)
    # Refuse on the header alone, before reading a byte of an image or a PDF.
    if media_type and media_type not in job.accept:
        raise _error("unsupported_type", f"{target.url} is {media_type}, not a web page or feed we can read")
    body = _read_body(response, target, job)
    media_type = media_type or sniff_media_type(body)
    if media_type not in job.accept or looks_binary(body, header_charset):
        raise _error(
            "unsupported_type", f"{target.url} does not contain text although it was served as {media_type}"
        )
    text, charset = decode_body(body, media_type, header_charset)
    return done(
        status=response.status,
        content_type=media_type,
        charset=charset,
        body=body,
        text=text,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        elapsed_ms=job.elapsed_ms(),
        not_modified=False,
    )


def _fetch(job: _Job) -> FetchResult:
    max_redirects = int(settings.FETCH_MAX_REDIRECTS)
    interval = _setting("FETCH_DOMAIN_MIN_INTERVAL")
    redirects: list[str] = []
    current = job.requested_url
    while True:
        target = _parse_target(current)
        addresses = _resolve(target)  # before robots.txt: a refused host gets no request at all
        if job.respect_robots:
            _check_robots(target, job)
        if not wait_for_turn(target.host, interval=interval, max_wait=job.remaining()):
            raise _error("timeout", f"Gave up waiting for a polite moment to fetch from {target.host}")
        headers = {
            "Host": target.host_header,
            "User-Agent": _user_agent(),
            "Accept": ", ".join(job.accept),
            "Accept-Encoding": _ACCEPT_ENCODING,
            **job.conditional,
        }
        try:
            with _open(target, addresses, headers, job) as response:
                if response.status not in _REDIRECT_STATUSES:
                    return _result(response, target, job, redirects)
                location = response.headers.get("location", "").strip()
        except (HTTPError, OSError, HTTPException) as exc:  # socket errors urllib3 lets through
            if job.watchdog.fired:
                raise _deadline_error(job) from exc
            raise _network_error(exc, target) from exc
        except FetchError as exc:
            if job.watchdog.fired and exc.kind != "timeout":  # e.g. a body cut short by the watchdog
                raise _deadline_error(job) from exc
            raise
        if not location:
            raise _status_error(response.status, target)
        try:  # http.client reads header bytes as latin-1; sites send UTF-8 paths raw
            location = location.encode("latin-1").decode("utf-8")
        except UnicodeError:
            pass
        following = urljoin(current, location)
        if following == job.requested_url or following in redirects:
            raise _error(
                "too_many_redirects", f"{job.requested_url} redirects in a loop (back to {following})"
            )
        if len(redirects) >= max_redirects:
            raise _error(
                "too_many_redirects", f"{job.requested_url} redirects more than {max_redirects} times"
            )
        redirects.append(following)
        current = following


def _deadline_error(job: _Job) -> FetchError:
    total = job.deadline - job.started
    return _error("timeout", f"Gave up on {job.requested_url}: no full answer within {total:.0f} s")


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    respect_robots: bool = True,
    accept: tuple[str, ...] | None = None,
) -> FetchResult:
    """Fetch a web page or feed safely; raise FetchError (with `permanent` and `kind`) on failure.

    `etag` / `last_modified` make it a conditional GET: a 304 gives `not_modified=True`.
    `accept` narrows the allowed content types; it cannot add types outside the allow-list.
    """
    wanted = ALLOWED_CONTENT_TYPES if accept is None else tuple(t.lower() for t in accept)
    accepted = tuple(t for t in wanted if t in ALLOWED_CONTENT_TYPES)
    if not accepted:
        raise ValueError(f"accept={accept!r} names none of {ALLOWED_CONTENT_TYPES}")
    validators = (("If-None-Match", etag), ("If-Modified-Since", last_modified))
    conditional = {name: value for name, value in validators if value}
    started = time.monotonic()
    total = _setting("FETCH_TOTAL_TIMEOUT")
    # One deadline covers the whole fetch: robots.txt, polite waiting, every redirect, the body.
    with _Watchdog(total) as watchdog:
        return _fetch(
            _Job(
                requested_url=url,
                accept=accepted,
                conditional=conditional,
                respect_robots=respect_robots,
                max_bytes=int(settings.FETCH_MAX_BYTES),
                started=started,
                deadline=started + total,
                watchdog=watchdog,
            )
        )
