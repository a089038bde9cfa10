"""Fetching web pages and feeds for articles and sources, on the one safe client (sources/http.py).

What the client does not know is added here: only text types are accepted (refused on the header,
before a byte of an image is read), bodies are decoded in the charset the page uses, conditional
GETs say "not modified", robots.txt is honoured and each host gets at most one request per
`FETCH_DOMAIN_MIN_INTERVAL` seconds. Address checks at every redirect hop, pinned connections, size
caps and the one deadline over all of it (robots.txt and polite waiting included) are the client's.
"""

from dataclasses import dataclass

from django.conf import settings

from sources import http
from sources.charsets import decode_body, looks_binary, media_type_and_charset, sniff_media_type
from sources.politeness import wait_for_turn
from sources.robots import RobotsFile, RobotsRules, cached_robots_file

ALLOWED_CONTENT_TYPES = tuple(
    "text/html application/xhtml+xml text/plain application/xml text/xml "
    "application/rss+xml application/atom+xml".split()
)
# Structured data (ClaimReview feeds): text, but never a page or a source to extract, so a caller gets
# these only by naming them in `accept`.
OPT_IN_CONTENT_TYPES = ("application/json", "application/ld+json", "application/x-ndjson")
_ROBOTS_MAX_BYTES = 500_000  # RFC 9309 asks crawlers to parse at least 500 KiB.


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


def _timeouts() -> http.Timeouts:
    return http.Timeouts(connect=settings.FETCH_CONNECT_TIMEOUT, read=settings.FETCH_READ_TIMEOUT)


def _wait_politely(target: http.Target, deadline: http.Deadline) -> None:
    if not wait_for_turn(
        target.host, interval=settings.FETCH_DOMAIN_MIN_INTERVAL, max_wait=deadline.remaining()
    ):
        raise http.error("timeout", f"Gave up waiting for a polite moment to fetch from {target.host}")


def _check_robots(target: http.Target, deadline: http.Deadline) -> None:
    """Raise HttpError(kind="robots") when the origin's robots.txt forbids `target`.

    A missing robots.txt or any 4xx means everything is allowed (RFC 9309 §2.3.1.3). A 5xx or 429
    means the site cannot say, and RFC 9309 §2.3.1.4 tells crawlers to assume everything is
    disallowed: that is a transient refusal, remembered for 5 minutes, so the task retries later.
    """

    def load() -> RobotsFile:
        try:
            # Under the page's deadline: robots.txt is part of fetching the page.
            robots = _get(
                f"{target.origin}/robots.txt",
                accept=ALLOWED_CONTENT_TYPES,
                conditional={},
                respect_robots=False,
                max_bytes=_ROBOTS_MAX_BYTES,
                deadline=deadline,
            )
            return RobotsFile(text=robots.text)
        except http.HttpError as exc:
            if exc.kind == "http_status" and not exc.permanent:
                return RobotsFile(unavailable_status=exc.status)
            if exc.permanent:
                return RobotsFile()  # no usable robots.txt: nothing is forbidden
            if exc.kind == "timeout":  # name the page the user asked for, not its robots.txt
                raise deadline.expired() from exc
            raise  # the site is unreachable: say so, as the page itself would

    robots = cached_robots_file(target.origin, load)
    if robots.unavailable_status:
        raise http.error(
            "robots",
            f"robots.txt of {target.host} answered {robots.unavailable_status}; until it answers "
            "properly the site counts as closed to crawlers",
            permanent=False,
            status=robots.unavailable_status,
        )
    if not RobotsRules.parse(robots.text).allows(settings.FETCH_USER_AGENT, target.request_path):
        raise http.error("robots", f"robots.txt of {target.host} does not allow fetching {target.url}")


def _result(
    response: http.Response,
    *,
    requested_url: str,
    accept: tuple[str, ...],
    conditional: dict[str, str],
    max_bytes: int,
    deadline: http.Deadline,
) -> FetchResult:
    headers = response.headers
    media_type, header_charset = media_type_and_charset(headers.get("content-type", ""))
    if response.status == 304 and conditional:
        return FetchResult(
            requested_url=requested_url,
            url=response.url,
            status=304,
            headers=headers,
            content_type=media_type,
            charset=None,
            body=b"",
            text="",
            # A 304 may leave the validators out; the caller's ones still hold then.
            etag=headers.get("etag") or conditional.get("If-None-Match"),
            last_modified=headers.get("last-modified") or conditional.get("If-Modified-Since"),
            redirects=response.redirects,
            elapsed_ms=deadline.elapsed_ms(),
            not_modified=True,
        )
    if not 200 <= response.status < 300:
        raise response.status_error()
    # Refuse on the header alone, before reading a byte of an image or a PDF.
    if media_type and media_type not in accept:
        raise http.error(
            "unsupported_type", f"{response.url} is {media_type}, not a web page or feed we can read"
        )
    body = response.read(max_bytes)
    media_type = media_type or sniff_media_type(body)
    if media_type not in accept or looks_binary(body, header_charset):
        raise http.error(
            "unsupported_type", f"{response.url} does not contain text although it was served as {media_type}"
        )
    text, charset = decode_body(body, media_type, header_charset)
    return FetchResult(
        requested_url=requested_url,
        url=response.url,
        status=response.status,
        headers=headers,
        content_type=media_type,
        charset=charset,
        body=body,
        text=text,
        etag=headers.get("etag"),
        last_modified=headers.get("last-modified"),
        redirects=response.redirects,
        elapsed_ms=deadline.elapsed_ms(),
        not_modified=False,
    )


def _get(
    url: str,
    *,
    accept: tuple[str, ...],
    conditional: dict[str, str],
    respect_robots: bool,
    max_bytes: int,
    deadline: http.Deadline,
) -> FetchResult:
    def before_hop(target: http.Target) -> None:
        if respect_robots:
            _check_robots(target, deadline)
        _wait_politely(target, deadline)

    headers = {"Accept": ", ".join(accept), "Accept-Encoding": http.ACCEPT_ENCODING, **conditional}
    with http.open_request(
        "GET",
        url,
        deadline=deadline,
        timeouts=_timeouts(),
        headers=headers,
        max_redirects=settings.FETCH_MAX_REDIRECTS,
        before_hop=before_hop,
    ) as response:
        return _result(
            response,
            requested_url=url,
            accept=accept,
            conditional=conditional,
            max_bytes=max_bytes,
            deadline=deadline,
        )


def fetch(
    url: str,
    *,
    etag: str | None = None,
    last_modified: str | None = None,
    respect_robots: bool = True,
    accept: tuple[str, ...] | None = None,
) -> FetchResult:
    """Fetch a web page or feed safely; raise http.HttpError (with `permanent` and `kind`) on failure.

    `etag` / `last_modified` make it a conditional GET: a 304 gives `not_modified=True`.
    `accept` narrows the allowed content types; it cannot add types outside the allow-list, except
    the structured-data types of OPT_IN_CONTENT_TYPES, which only a caller naming them gets.
    """
    wanted = ALLOWED_CONTENT_TYPES if accept is None else tuple(t.lower() for t in accept)
    accepted = tuple(t for t in wanted if t in ALLOWED_CONTENT_TYPES + OPT_IN_CONTENT_TYPES)
    if not accepted:
        raise ValueError(f"accept={accept!r} names none of {ALLOWED_CONTENT_TYPES}")
    validators = (("If-None-Match", etag), ("If-Modified-Since", last_modified))
    conditional = {name: value for name, value in validators if value}
    # One deadline covers the whole fetch: robots.txt, polite waiting, every redirect, the body.
    with http.Deadline(settings.FETCH_TOTAL_TIMEOUT, url=url) as deadline:
        return _get(
            url,
            accept=accepted,
            conditional=conditional,
            respect_robots=respect_robots,
            max_bytes=settings.FETCH_MAX_BYTES,
            deadline=deadline,
        )
