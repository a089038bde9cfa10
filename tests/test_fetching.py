"""The one safe fetcher, against a real HTTP server on 127.0.0.1.

Only name resolution is faked (to make a host name point at a private or metadata address); every
request goes over a real socket to tests/httpserver.py.
"""

import gzip
import socket
import threading
import time
import tracemalloc
import zlib

import pytest
from pytest_django import Settings

from sources.fetching import FetchResult, fetch
from sources.http import HttpError
from sources.robots import RobotsRules
from tests.fakedns import FakeDns
from tests.httpserver import LocalServer, Reply, Request


@pytest.fixture(autouse=True)
def production_allow_list(settings: Settings) -> None:
    """Start every test from production's empty allow-list, whatever the environment says.

    (robots.txt answers cached in one test do not leak into the next: conftest clears the cache.)
    """
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0


@pytest.fixture
def server(local_server: LocalServer, settings: Settings) -> LocalServer:
    """The local server, reachable because its address is allow-listed as in tests and demos."""
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    return local_server


def fetch_error(url: str, **kwargs: object) -> HttpError:
    with pytest.raises(HttpError) as caught:
        fetch(url, **kwargs)  # type: ignore[arg-type]
    return caught.value


# --- happy path and charsets -------------------------------------------------------------------


def test_it_fetches_an_html_page_and_says_who_is_asking(server: LocalServer, settings: Settings) -> None:
    settings.FETCH_USER_AGENT = "NewsroomTestBot/2.0 (+https://example.org/test-bot)"
    server.route(
        "/story",
        body="<html><title>Café</title><p>Prices rose 4% in 2024.</p></html>",
        headers={"ETag": '"abc"', "Last-Modified": "Wed, 01 Jan 2025 00:00:00 GMT"},
    )

    result = fetch(server.url("/story"))

    assert isinstance(result, FetchResult)
    assert (result.status, result.content_type, result.charset) == (200, "text/html", "utf-8")
    assert "<title>Café</title>" in result.text
    assert result.body == result.text.encode("utf-8")
    assert result.url == result.requested_url == server.url("/story")
    assert result.redirects == [] and result.not_modified is False
    assert (result.etag, result.last_modified) == ('"abc"', "Wed, 01 Jan 2025 00:00:00 GMT")
    assert result.headers["content-type"] == "text/html; charset=utf-8"
    sent = server.requests_to("/story")[0].headers
    assert sent["user-agent"] == "NewsroomTestBot/2.0 (+https://example.org/test-bot)"
    assert sent["host"] == f"127.0.0.1:{server.port}"
    assert "gzip" in sent["accept-encoding"] and "text/html" in sent["accept"]


NEWS_RU = (
    "Правительство сообщило, что инфляция в прошлом году составила семь процентов, "
    "а безработица снизилась до самого низкого уровня за последние десять лет."
)


@pytest.mark.parametrize(
    ("body", "content_type", "text", "charset"),
    [
        # Browsers read an "iso-8859-1" label as windows-1252, whose 0x93 / 0x94 are curly quotes.
        pytest.param(
            "Zürich: “crème brûlée”".encode("cp1252"),
            "text/html; charset=ISO-8859-1",
            "Zürich: “crème brûlée”",
            "cp1252",
            id="latin-1-in-header",
        ),
        pytest.param(
            '<meta charset="iso-8859-15"><p>5 €</p>'.encode("iso-8859-15"),
            "text/html",
            '<meta charset="iso-8859-15"><p>5 €</p>',
            "iso8859-15",
            id="meta-tag",
        ),
        pytest.param(NEWS_RU.encode("cp1251"), "text/html", NEWS_RU, "cp1251", id="undeclared"),
        pytest.param(
            b"<p>caf\xe9 \xff ok</p>",
            "text/html; charset=utf-8",
            "<p>caf\ufffd \ufffd ok</p>",
            "utf-8",
            id="bytes-that-do-not-decode",
        ),
    ],
)
def test_it_decodes_text_in_the_charset_the_page_uses(
    server: LocalServer, body: bytes, content_type: str, text: str, charset: str
) -> None:
    server.route("/", body=body, content_type=content_type)

    result = fetch(server.url("/"))

    assert (result.text, result.charset) == (text, charset)


# --- which URLs and addresses are refused ------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/file.txt",
        "file:///etc/passwd",
        "javascript:alert(1)",
        "http:///no-host",
        "http://user:secret@example.org/",
        "http://example.org:99999/",
    ],
)
def test_it_refuses_urls_that_are_not_plain_http(url: str) -> None:
    error = fetch_error(url)

    assert (error.kind, error.permanent) == ("invalid_url", True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://10.0.0.5/", "private address"),
        ("http://192.168.1.1/admin", "private address"),
        ("http://[::1]/", "loopback address"),
        ("http://0.0.0.0/", "unspecified address"),
        ("http://224.0.0.1/", "multicast address"),
        ("http://169.254.10.1/", "link-local address"),
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://[fd00:ec2::254]/", "cloud metadata address"),
        ("http://100.100.100.200/", "cloud metadata address"),
        ("http://[::ffff:169.254.169.254]/", "cloud metadata address"),
        ("http://[::ffff:10.0.0.5]/", "private address"),
    ],
)
def test_it_refuses_non_public_addresses(url: str, reason: str) -> None:
    error = fetch_error(url)

    assert (error.kind, error.permanent) == ("blocked_address", True)
    assert error.message.startswith("Refused to fetch ") and error.message.endswith(reason)


def test_it_refuses_loopback_unless_allow_listed(local_server: LocalServer) -> None:
    local_server.route("/", body="<p>secret</p>")

    error = fetch_error(local_server.url("/"))

    assert error.kind == "blocked_address"
    assert error.message == "Refused to fetch 127.0.0.1: loopback address"
    assert local_server.requests == []


def test_it_refuses_host_names_that_resolve_inside(fake_dns: FakeDns, settings: Settings) -> None:
    fake_dns["intranet.example.com"] = "10.1.2.3"
    fake_dns["metadata.example.com"] = "169.254.169.254"
    # Even an allow-list broad enough to cover it never opens the metadata address.
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["169.254.0.0/16", "metadata.example.com"]

    intranet = fetch_error("http://intranet.example.com/")
    metadata = fetch_error("http://metadata.example.com/latest/meta-data/")

    assert intranet.message == "Refused to fetch intranet.example.com (10.1.2.3): private address"
    assert metadata.kind == "blocked_address"
    assert metadata.message.endswith("(169.254.169.254): cloud metadata address")


def test_it_checks_every_redirect_hop(server: LocalServer, fake_dns: FakeDns) -> None:
    fake_dns["internal.example.com"] = "10.0.0.7"
    server.route("/to-internal", redirect="http://internal.example.com/admin")
    server.route("/to-ipv6-loopback", redirect=f"http://[::1]:{server.port}/")

    internal = fetch_error(server.url("/to-internal"))
    loopback = fetch_error(server.url("/to-ipv6-loopback"))

    assert internal.kind == loopback.kind == "blocked_address"
    assert internal.message.endswith("(10.0.0.7): private address")
    assert loopback.message == "Refused to fetch ::1: loopback address"


def test_it_verifies_tls_certificates(local_tls_server: LocalServer, settings: Settings) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_tls_server.route("/", body="<p>secret</p>")

    error = fetch_error(local_tls_server.url("/"), respect_robots=False)

    assert (error.kind, error.permanent) == ("connection", True)
    assert "certificate verify failed" in error.message
    assert local_tls_server.requests == []


def test_it_connects_to_the_address_it_checked(
    server: LocalServer, fake_dns: FakeDns, settings: Settings
) -> None:
    # A host-name entry in the allow-list; the name resolves (once) to the local server.
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["news.example.com"]
    fake_dns["news.example.com"] = "127.0.0.1"
    server.route("/story", body="<p>local</p>")

    result = fetch(f"http://news.example.com:{server.port}/story", respect_robots=False)

    assert result.text == "<p>local</p>"
    assert server.requests_to("/story")[0].headers["host"] == f"news.example.com:{server.port}"
    # urllib3 was handed the checked IP: no second lookup that DNS rebinding could answer.
    assert fake_dns.lookups.count("news.example.com") == 1


# --- redirects and statuses --------------------------------------------------------------------


def test_it_follows_redirects(server: LocalServer) -> None:
    server.route("/old", status=301, redirect="/middle")
    server.route("/middle", redirect=server.url("/new"))
    server.route("/new", body="<p>moved here</p>")

    result = fetch(server.url("/old"))

    assert result.url == server.url("/new") and result.requested_url == server.url("/old")
    assert result.redirects == [server.url("/middle"), server.url("/new")]
    assert result.text == "<p>moved here</p>"


def test_it_stops_redirect_loops_and_chains(server: LocalServer, settings: Settings) -> None:
    settings.FETCH_MAX_REDIRECTS = 5
    server.route("/a", redirect="/b")
    server.route("/b", redirect="/a")
    for step in range(10):
        server.route(f"/chain/{step}", redirect=f"/chain/{step + 1}")

    loop = fetch_error(server.url("/a"))
    chain = fetch_error(server.url("/chain/0"))

    assert (loop.kind, loop.permanent) == ("too_many_redirects", True)
    assert "loop" in loop.message
    assert chain.kind == "too_many_redirects"
    assert server.hits["/chain/5"] == 1 and server.hits["/chain/6"] == 0


@pytest.mark.parametrize(
    ("status", "permanent"),
    [(404, True), (410, True), (401, True), (403, True), (451, True), (400, True)]
    + [(429, False), (500, False), (503, False)],
)
def test_it_tells_permanent_from_transient_statuses(
    server: LocalServer, status: int, permanent: bool
) -> None:
    server.route("/", status=status, body="<p>no</p>")

    error = fetch_error(server.url("/"))

    assert (error.kind, error.status, error.permanent) == ("http_status", status, permanent)
    assert str(status) in error.message


# --- network failures and timeouts -------------------------------------------------------------


def test_it_reports_a_resolver_outage_as_transient(fake_dns: FakeDns) -> None:
    fake_dns["nowhere.example.com"] = "fail"

    error = fetch_error("http://nowhere.example.com/")

    assert (error.kind, error.permanent) == ("dns", False)


def test_it_reports_a_refused_connection_as_transient(settings: Settings) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    with socket.socket() as probe:  # a port nothing listens on once the probe is closed
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]

    error = fetch_error(f"http://127.0.0.1:{port}/", respect_robots=False)

    assert (error.kind, error.permanent) == ("connection", False)


def test_it_times_out_on_a_slow_server(server: LocalServer, settings: Settings) -> None:
    settings.FETCH_READ_TIMEOUT = 0.2
    server.route("/slow", body="<p>late</p>", delay=3)

    error = fetch_error(server.url("/slow"), respect_robots=False)

    assert (error.kind, error.permanent) == ("timeout", False)


def test_it_gives_up_on_a_server_that_sends_its_headers_a_byte_at_a_time(settings: Settings) -> None:
    # Every byte arrives well within the read timeout, and http.client reads headers without
    # returning to us: only the fetch's own wall clock (its watchdog) can stop this one.
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_READ_TIMEOUT = 2.0
    settings.FETCH_TOTAL_TIMEOUT = 1.0
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        connection, _ = listener.accept()
        with connection:
            connection.recv(65536)
            for byte in b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nX-Padding: " + b"x" * 1000:
                if stop.wait(0.05):
                    return
                try:
                    connection.sendall(bytes([byte]))
                except OSError:
                    return

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    started = time.monotonic()
    try:
        error = fetch_error(
            f"http://127.0.0.1:{listener.getsockname()[1]}/slow-headers", respect_robots=False
        )
    finally:
        stop.set()
        listener.close()
    elapsed = time.monotonic() - started

    assert (error.kind, error.permanent) == ("timeout", False)
    assert "within 1 s" in error.message
    assert elapsed < 1.0 + 1.5, "stopped at the deadline, not at the end of the headers (~50 s)"


def test_it_does_not_retry_a_name_that_does_not_exist() -> None:
    # The .invalid top-level domain never resolves (RFC 6761): the resolver's answer is final.
    error = fetch_error("http://no-such-host.invalid/page", respect_robots=False)

    assert (error.kind, error.permanent) == ("dns", True)
    assert "Could not resolve no-such-host.invalid" in error.message


def test_it_gives_up_on_a_server_that_dribbles(server: LocalServer, settings: Settings) -> None:
    # Each chunk arrives well within the read timeout; only the overall deadline stops it.
    settings.FETCH_READ_TIMEOUT = 2.0
    settings.FETCH_TOTAL_TIMEOUT = 0.5
    drip = Reply(
        body=b"<p>" + b"x" * 4000,
        headers={"Content-Type": "text/html"},
        chunked=True,
        chunk_size=100,
        chunk_delay=0.1,
    )
    server.handle("/drip", lambda request: drip)

    error = fetch_error(server.url("/drip"), respect_robots=False)

    assert (error.kind, error.permanent) == ("timeout", False)


# --- size, type and decompression limits -------------------------------------------------------


def test_it_stops_reading_past_the_size_cap(server: LocalServer, settings: Settings) -> None:
    settings.FETCH_MAX_BYTES = 100_000
    server.route("/streamed", body=b"<p>" + b"x" * 1_000_000, chunked=True)
    server.route("/declared", body=b"<p>" + b"x" * 1_000_000)

    streamed = fetch_error(server.url("/streamed"))
    declared = fetch_error(server.url("/declared"))

    assert (streamed.kind, streamed.permanent) == ("too_large", True)
    assert declared.kind == "too_large"
    assert "100,000 bytes" in declared.message


@pytest.mark.parametrize("encoding", ["gzip", "deflate"])
def test_it_stops_inflating_a_compression_bomb(
    server: LocalServer, settings: Settings, encoding: str
) -> None:
    settings.FETCH_MAX_BYTES = 1_000_000
    bomb = _bomb(encoding, inflated_mb=100)
    assert len(bomb) < 500_000  # small on the wire, 100 MB once inflated
    server.route("/bomb", body=bomb, headers={"Content-Encoding": encoding})

    tracemalloc.start()
    try:
        error = fetch_error(server.url("/bomb"))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert (error.kind, error.permanent) == ("too_large", True)
    assert peak < 20_000_000  # inflated chunk by chunk, never all at once


def _bomb(encoding: str, *, inflated_mb: int) -> bytes:
    wbits = 31 if encoding == "gzip" else 15  # gzip container, or zlib (HTTP "deflate")
    compressor = zlib.compressobj(9, zlib.DEFLATED, wbits)
    megabyte = b"<p>" + b"a" * (1_000_000 - 3)
    parts = [compressor.compress(megabyte) for _ in range(inflated_mb)]
    return b"".join(parts) + compressor.flush()


def test_it_still_reads_ordinary_gzip(server: LocalServer) -> None:
    server.route("/", body=gzip.compress(b"<p>fine</p>"), headers={"Content-Encoding": "gzip"})

    assert fetch(server.url("/")).text == "<p>fine</p>"


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "application/octet-stream"])
def test_it_refuses_content_that_is_not_text(server: LocalServer, content_type: str) -> None:
    server.route("/file", body=b"\x89PNG\r\n\x1a\n\x00\x00", content_type=content_type)

    error = fetch_error(server.url("/file"))

    assert (error.kind, error.permanent) == ("unsupported_type", True)
    assert content_type in error.message


def test_it_refuses_binary_served_as_html(server: LocalServer) -> None:
    server.route("/fake", body=b"\x00\x01binary\x00" * 100, content_type="text/html")

    error = fetch_error(server.url("/fake"))

    assert error.kind == "unsupported_type"


def test_it_lets_callers_narrow_the_accepted_types(server: LocalServer) -> None:
    server.route("/page", body="<p>html</p>")
    server.route("/feed", body="<rss></rss>", content_type="application/rss+xml")

    assert fetch(server.url("/feed"), accept=("application/rss+xml",)).content_type.endswith("xml")
    error = fetch_error(server.url("/page"), accept=("application/rss+xml",))
    assert error.kind == "unsupported_type"


# --- robots.txt --------------------------------------------------------------------------------


def test_it_honours_robots_txt_unless_overridden(server: LocalServer) -> None:
    server.route("/robots.txt", body="User-agent: *\nDisallow: /private/\n", content_type="text/plain")
    server.route("/private/memo", body="<p>memo</p>")
    server.route("/public", body="<p>hello</p>")

    refused = fetch_error(server.url("/private/memo"))
    allowed = fetch(server.url("/public"))
    overridden = fetch(server.url("/private/memo"), respect_robots=False)

    assert (refused.kind, refused.permanent) == ("robots", True)
    assert allowed.text == "<p>hello</p>" and overridden.text == "<p>memo</p>"
    assert server.hits["/private/memo"] == 1  # only the overridden fetch reached it
    assert server.hits["/robots.txt"] == 1  # read once, then cached


def test_it_reads_robots_rules_as_rfc_9309_says() -> None:
    rules = RobotsRules.parse(
        "User-agent: *\n"
        "Disallow: /\n"
        "\n"
        "User-agent: OtherBot\n"
        "User-agent: FactcheckWorkbench\n"
        "Disallow: /news/\n"
        "Allow: /news/public\n"
        "Disallow: /*.pdf$\n"
        "Disallow: /*?print=\n"
    )
    agent = "FactcheckWorkbench/0.1 (+https://example.org/bot)"

    assert rules.allows(agent, "/about")  # our own group replaces the "*" group
    assert not rules.allows(agent, "/news/story")
    assert rules.allows(agent, "/news/public/story")  # the longer rule wins
    assert not rules.allows(agent, "/files/report.pdf") and rules.allows(agent, "/report.pdf.html")
    assert not rules.allows(agent, "/story?print=1")
    assert not rules.allows("SomeoneElse/1.0", "/about")


def test_it_treats_a_missing_robots_txt_as_allowed(server: LocalServer) -> None:
    server.route("/page", body="<p>ok</p>")

    assert fetch(server.url("/page")).text == "<p>ok</p>"
    assert server.hits["/robots.txt"] == 1


def test_it_treats_a_failing_robots_txt_as_a_temporary_refusal(server: LocalServer) -> None:
    server.route("/robots.txt", status=503, body="down", content_type="text/plain")
    server.route("/page", body="<p>ok</p>")

    error = fetch_error(server.url("/page"))

    assert (error.kind, error.permanent, error.status) == ("robots", False, 503)
    assert server.hits["/page"] == 0


# --- conditional GET and politeness ------------------------------------------------------------


def test_it_makes_conditional_requests(server: LocalServer) -> None:
    modified = "Wed, 01 Jan 2025 00:00:00 GMT"

    def page(request: Request) -> Reply:
        if request.headers.get("if-none-match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(
            body="<p>v1</p>",
            headers={"Content-Type": "text/html", "ETag": '"v1"', "Last-Modified": modified},
        )

    server.handle("/page", page)

    first = fetch(server.url("/page"))
    again = fetch(server.url("/page"), etag=first.etag, last_modified=first.last_modified)

    assert (first.status, first.not_modified, first.etag) == (200, False, '"v1"')
    assert (again.status, again.not_modified, again.body, again.text) == (304, True, b"", "")
    assert (again.etag, again.last_modified) == ('"v1"', modified)
    sent = server.requests_to("/page")[1].headers
    assert (sent["if-none-match"], sent["if-modified-since"]) == ('"v1"', modified)


def test_it_waits_between_requests_to_the_same_domain(server: LocalServer, settings: Settings) -> None:
    # Goes through the real shared cache (Redis), as workers in separate processes would.
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0.3
    server.route("/page", body="<p>ok</p>")
    threads = [
        threading.Thread(target=fetch, args=(server.url("/page"),), kwargs={"respect_robots": False})
        for _ in range(3)
    ]

    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    arrivals = sorted(request.received_at for request in server.requests_to("/page"))
    assert len(arrivals) == 3
    # Slots are granted 0.3 s apart, so three requests span at least 0.6 s. The span (not each gap)
    # is checked: on a loaded machine one request may reach the server late after its grant, which
    # shortens one gap without breaking politeness. Without the wait the span would be ~1 ms.
    assert arrivals[-1] - arrivals[0] >= 0.45, arrivals
