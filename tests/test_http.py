"""The one HTTP client (sources/http.py), which fetching and webhooks both sit on, against real
local servers. Only name resolution is faked (tests/fakedns.py); every request goes over a real socket.
"""

import socket
import time

import pytest
from pytest_django import Settings

from sources import http
from tests.fakedns import FakeDns
from tests.httpserver import LocalServer, Reply

TIMEOUTS = http.Timeouts(connect=2.0, read=5.0)


@pytest.fixture(autouse=True)
def production_allow_list(settings: Settings) -> None:
    """Production's empty allow-list; a test that needs the local server lists it itself."""
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0


def get(url: str, *, seconds: float = 5.0, max_bytes: int = 1_000_000, **options: object) -> http.Response:
    """GET `url` through the client, following up to 5 redirects; the body is read into `.body`."""
    with http.Deadline(seconds, url=url) as deadline:
        with http.open_request(
            "GET", url, deadline=deadline, timeouts=TIMEOUTS, max_redirects=5, **options
        ) as response:
            response.body = response.read(max_bytes)  # type: ignore[attr-defined]
            return response


def post(url: str, *, total_timeout: float = 5.0, **headers: str) -> http.PostResult:
    return http.post(
        url, body=b'{"ok":true}', headers=headers, timeouts=TIMEOUTS, total_timeout=total_timeout
    )


def failure(call, *args: object, **kwargs: object) -> http.HttpError:
    with pytest.raises(http.HttpError) as caught:
        call(*args, **kwargs)
    return caught.value


def closed_port() -> int:
    with socket.socket() as probe:  # nothing listens on it once the probe is closed
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- every hop is checked, and connected to as checked ---------------------------------------------


def test_it_checks_the_address_again_at_every_redirect_hop(receiver: LocalServer, fake_dns: FakeDns) -> None:
    fake_dns["cdn.example.com"] = "127.0.0.1"  # covered by the allow-listed IP
    fake_dns["rebound.example.com"] = "10.0.0.9"
    receiver.route("/start", redirect=f"http://cdn.example.com:{receiver.port}/next")
    receiver.route("/next", redirect=f"http://rebound.example.com:{receiver.port}/admin")
    hops: list[str] = []

    error = failure(get, receiver.url("/start"), before_hop=lambda target: hops.append(target.host))

    assert (error.kind, error.permanent) == ("blocked_address", True)
    assert error.message == "Refused to fetch rebound.example.com (10.0.0.9): private address"
    # The refused hop never reached before_hop (robots.txt, politeness): nothing was sent its way.
    assert hops == ["127.0.0.1", "cdn.example.com"]
    assert fake_dns.lookups.count("cdn.example.com") == fake_dns.lookups.count("rebound.example.com") == 1


def test_it_connects_to_the_address_it_checked_even_when_dns_changes_its_answer(
    receiver: LocalServer, fake_dns: FakeDns, settings: Settings
) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["news.example.com"]
    fake_dns["news.example.com"] = "127.0.0.1"
    receiver.route("/story", body="<p>local</p>")

    def rebind(target: http.Target) -> None:
        # Between the check and the connect, DNS now points the name somewhere inside.
        fake_dns["news.example.com"] = "10.0.0.1"

    response = get(f"http://news.example.com:{receiver.port}/story", before_hop=rebind)

    assert (response.status, response.body) == (200, b"<p>local</p>")  # type: ignore[attr-defined]
    assert receiver.requests_to("/story")[0].headers["host"] == f"news.example.com:{receiver.port}"
    assert fake_dns.lookups.count("news.example.com") == 1


def test_a_post_is_pinned_and_checked_the_same_way(
    receiver: LocalServer, fake_dns: FakeDns, settings: Settings
) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["hooks.example.com"]
    fake_dns["hooks.example.com"] = "127.0.0.1"
    fake_dns["inside.example.com"] = "192.168.0.10"

    sent = post(f"http://hooks.example.com:{receiver.port}/hook")
    refused = failure(post, "http://inside.example.com/hook")
    metadata = failure(post, "http://169.254.169.254/latest/meta-data/")

    assert (sent.status, sent.excerpt) == (200, "ok")
    [(headers, body)] = receiver.received
    assert headers["host"] == f"hooks.example.com:{receiver.port}" and body == b'{"ok":true}'
    assert fake_dns.lookups.count("hooks.example.com") == 1
    assert refused.message == "Refused to send to inside.example.com (192.168.0.10): private address"
    assert (metadata.kind, metadata.permanent) == ("blocked_address", True)


def test_it_checks_a_url_before_anything_is_ever_sent(fake_dns: FakeDns) -> None:
    fake_dns["intranet.example.com"] = "10.1.2.3"

    refused = failure(http.check_url, "http://intranet.example.com/hook", method="POST")
    malformed = failure(http.check_url, "ftp://example.org/", method="POST")

    assert refused.message == "Refused to send to intranet.example.com (10.1.2.3): private address"
    assert malformed.message == "Cannot send to 'ftp://example.org/': only http and https URLs can be fetched"


def test_a_post_never_follows_a_redirect(receiver: LocalServer) -> None:
    receiver.route("/hook", redirect="/elsewhere")

    result = post(receiver.url("/hook"))

    assert result.status == 302 and receiver.hits["/elsewhere"] == 0
    with pytest.raises(ValueError, match="only a GET follows redirects"):
        with http.Deadline(1, url="x") as deadline:
            with http.open_request(
                "POST", receiver.url("/hook"), deadline=deadline, timeouts=TIMEOUTS, max_redirects=1
            ):
                pass


def test_every_request_says_who_is_asking_with_the_one_user_agent(
    receiver: LocalServer, settings: Settings
) -> None:
    settings.FETCH_USER_AGENT = "NewsroomTestBot/2.0 (+https://example.org/test-bot)"
    receiver.route("/page", body="<p>hi</p>")

    get(receiver.url("/page"))
    post(receiver.url("/hook"), **{"User-Agent": "SomethingElse/1.0"})

    agents = [request.headers["user-agent"] for request in receiver.requests]
    assert agents == ["NewsroomTestBot/2.0 (+https://example.org/test-bot)"] * 2


# --- caps and the deadline -------------------------------------------------------------------------


def test_it_caps_what_it_reads(receiver: LocalServer) -> None:
    big = b"<p>" + b"x" * 300_000
    receiver.route("/streamed", body=big, chunked=True)
    receiver.route("/declared", body=big)
    receiver.route("/hook", body=big)

    streamed = failure(get, receiver.url("/streamed"), max_bytes=100_000)
    declared = failure(get, receiver.url("/declared"), max_bytes=100_000)
    answer = post(receiver.url("/hook"))

    assert (streamed.kind, streamed.permanent) == ("too_large", True)
    assert declared.message == "The response from 127.0.0.1 is larger than 100,000 bytes"
    # A webhook receiver's answer is only logged: its start is kept, the rest never read.
    assert answer.status == 200 and answer.excerpt == "<p>" + "x" * 497


def test_one_deadline_covers_every_hop_and_the_callers_waiting_between_them(receiver: LocalServer) -> None:
    for step in range(4):
        receiver.route(f"/hop/{step}", redirect=f"/hop/{step + 1}")
    receiver.route("/hop/4", body="<p>end</p>")
    started = time.monotonic()

    error = failure(get, receiver.url("/hop/0"), seconds=1.0, before_hop=lambda target: time.sleep(0.3))

    assert (error.kind, error.permanent) == ("timeout", False)
    assert error.message == f"Gave up on {receiver.url('/hop/0')}: no full answer within 1 s"
    assert time.monotonic() - started < 2.0
    assert receiver.hits["/hop/4"] == 0


def test_a_post_gives_up_at_its_deadline_although_no_single_read_timed_out(receiver: LocalServer) -> None:
    # 100 bytes every 0.2 s: each read is well within the read timeout; only the deadline stops it.
    dribble = Reply(body=b"x" * 2000, chunked=True, chunk_size=100, chunk_delay=0.2)
    receiver.handle("/hook", lambda request: dribble)
    started = time.monotonic()

    error = failure(post, receiver.url("/hook"), total_timeout=0.5)

    assert (error.kind, error.permanent) == ("timeout", False)
    assert error.message == f"Gave up on {receiver.url('/hook')}: no full answer within 0.5 s"
    assert time.monotonic() - started < 2.0


# --- permanent or transient ------------------------------------------------------------------------


def test_it_says_which_failures_a_retry_can_fix(
    receiver: LocalServer, fake_dns: FakeDns, local_tls_server: LocalServer, settings: Settings
) -> None:
    fake_dns["resolver-down.example.com"] = "fail"
    receiver.route("/a", redirect="/b")
    receiver.route("/b", redirect="/a")
    receiver.route("/busy", status=503, body="busy")
    receiver.route("/gone", status=410, body="gone")
    port = closed_port()

    def status_error(path: str) -> http.HttpError:
        with http.Deadline(5, url=path) as deadline:
            with http.open_request(
                "GET", receiver.url(path), deadline=deadline, timeouts=TIMEOUTS
            ) as response:
                return response.status_error()

    outcomes = {
        "malformed": failure(get, "http://user:secret@example.org/"),
        "refused address": failure(get, "http://10.0.0.5/"),
        "no such name": failure(get, "http://no-such-host.invalid/"),
        "resolver down": failure(get, "http://resolver-down.example.com/"),
        "nothing listening": failure(post, f"http://127.0.0.1:{port}/hook"),
        "bad certificate": failure(post, local_tls_server.url("/hook")),
        "redirect loop": failure(get, receiver.url("/a")),
        "503": status_error("/busy"),
        "410": status_error("/gone"),
    }

    assert {name: (e.kind, e.permanent) for name, e in outcomes.items()} == {
        "malformed": ("invalid_url", True),
        "refused address": ("blocked_address", True),
        "no such name": ("dns", True),
        "resolver down": ("dns", False),
        "nothing listening": ("connection", False),
        "bad certificate": ("connection", True),
        "redirect loop": ("too_many_redirects", True),
        "503": ("http_status", False),
        "410": ("http_status", True),
    }
    # Messages a reviewer can read: no library wrapping around the reason.
    assert outcomes["nothing listening"].message == "Could not connect to 127.0.0.1: Connection refused"
    assert outcomes["no such name"].message.startswith("Could not resolve no-such-host.invalid: ")
    assert (
        outcomes["503"].message == f"127.0.0.1 answered 503 Service Unavailable for {receiver.url('/busy')}"
    )
