"""Reference feeds editors register (RSS, Atom, sitemaps): crawl them and queue new items as sources.

Feeds go through the one safe fetcher (conditional GET, XML types only) and are parsed with lxml with
entities, DTDs and network access switched off, so a hostile feed cannot expand entities or make us
fetch anything. A crawl queues at most FEED_MAX_NEW_ITEMS new sources; the rest of a big feed waits
for the next crawl, where the already-known items cost one indexed lookup each and nothing else.
"""

from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from lxml import etree

from .fetching import fetch
from .http import HttpError
from .models import Feed, Source
from .services import normalise_url

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml")
# A sitemap index lists sitemaps; only this many of them are read per crawl (the newest come first
# in practice), which bounds one crawl's requests.
MAX_CHILD_SITEMAPS = 5


class FeedError(Exception):
    """The feed cannot be read; the message is stored on the feed for the editor."""


@dataclass(frozen=True)
class ParsedFeed:
    kind: str  # a Feed.Kind value
    title: str
    items: list[str]  # absolute http(s) URLs, feed order, no duplicates
    child_sitemaps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CrawlResult:
    feed_id: int
    created: int
    seen: int
    error: str = ""


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
    )


def _absolute(urls: list[str], base_url: str) -> list[str]:
    seen: dict[str, None] = {}
    for raw in urls:
        if not (raw or "").strip():
            continue  # urljoin would turn an empty link into the feed's own URL
        url = urljoin(base_url, raw.strip())
        if urlsplit(url).scheme in {"http", "https"} and urlsplit(url).hostname:
            seen.setdefault(normalise_url(url), None)
    return list(seen)


def _text(element: etree._Element | None) -> str:
    return (element.text or "").strip() if element is not None else ""


def _atom_link(entry: etree._Element) -> str:
    links = entry.findall("{*}link")
    for link in links:  # the page itself, not its comments feed or an enclosure
        if link.get("rel", "alternate") == "alternate" and link.get("href"):
            return link.get("href", "")
    return links[0].get("href", "") if links else ""


def parse_feed(body: bytes, *, base_url: str) -> ParsedFeed:
    """Detect RSS (0.9x/2.0 and RSS 1.0/RDF), Atom or a sitemap (or sitemap index) and list its items."""
    try:
        root = etree.fromstring(body, parser=_parser())
    except (etree.XMLSyntaxError, ValueError) as exc:
        raise FeedError(f"The feed is not well-formed XML: {exc}") from None
    if root is None:
        raise FeedError("The feed is empty.")
    tag = etree.QName(root).localname.lower()
    if tag in {"rss", "rdf"}:
        links = []
        for item in root.iter("{*}item"):
            guid = item.find("{*}guid")
            permalink = guid is not None and guid.get("isPermaLink", "true") == "true"
            links.append(_text(item.find("{*}link")) or (_text(guid) if permalink else ""))
        title = _text(root.find("{*}channel/{*}title"))
        return ParsedFeed(Feed.Kind.RSS, title, _absolute(links, base_url))
    if tag == "feed":
        links = [_atom_link(entry) for entry in root.iter("{*}entry")]
        return ParsedFeed(Feed.Kind.ATOM, _text(root.find("{*}title")), _absolute(links, base_url))
    if tag == "urlset":
        links = [_text(url.find("{*}loc")) for url in root.iter("{*}url")]
        return ParsedFeed(Feed.Kind.SITEMAP, "", _absolute(links, base_url))
    if tag == "sitemapindex":
        children = [_text(sitemap.find("{*}loc")) for sitemap in root.iter("{*}sitemap")]
        return ParsedFeed(Feed.Kind.SITEMAP, "", [], _absolute(children, base_url))
    raise FeedError(f"This is XML but not RSS, Atom or a sitemap (its root element is <{tag}>).")


def _fetch_parsed(url: str, *, etag: str = "", last_modified: str = "") -> tuple[ParsedFeed | None, dict]:
    """Fetch and parse one feed document; (None, validators) when the server says not modified."""
    result = fetch(url, etag=etag or None, last_modified=last_modified or None, accept=FEED_TYPES)
    validators = {"etag": (result.etag or "")[:500], "last_modified": (result.last_modified or "")[:100]}
    if result.not_modified:
        return None, validators
    return parse_feed(result.body, base_url=result.url), validators


def feed_crawl(feed_id: int) -> CrawlResult:
    """Crawl one feed now and queue its new items as sources (origin "feed"), bounded per crawl."""
    feed = Feed.objects.get(pk=feed_id)
    now = timezone.now()
    try:
        parsed, validators = _fetch_parsed(feed.url, etag=feed.etag, last_modified=feed.last_modified)
        if parsed is None:
            Feed.objects.filter(pk=feed.pk).update(last_crawled_at=now, last_error="", **validators)
            return CrawlResult(feed.pk, 0, feed.items_seen)
        items = list(parsed.items)
        for child in parsed.child_sitemaps[:MAX_CHILD_SITEMAPS]:
            child_feed, _ = _fetch_parsed(child)
            if child_feed is not None:
                items.extend(url for url in child_feed.items if url not in items)
    except (HttpError, FeedError) as exc:
        message = exc.message if isinstance(exc, HttpError) else str(exc)
        Feed.objects.filter(pk=feed.pk).update(last_crawled_at=now, last_error=message[:2000])
        return CrawlResult(feed.pk, 0, 0, message)

    created = _queue_new_items(items)
    Feed.objects.filter(pk=feed.pk).update(
        last_crawled_at=now,
        last_error="",
        items_seen=len(items),
        kind=parsed.kind if feed.kind == Feed.Kind.AUTO else feed.kind,
        title=feed.title or parsed.title[:500],
        **validators,
    )
    return CrawlResult(feed.pk, created, len(items))


def _queue_new_items(urls: list[str]) -> int:
    """Create a Source (origin feed) per unknown URL and queue its first fetch; bounded per crawl."""
    from .tasks import fetch_source

    known = set(Source.objects.filter(url__in=urls).values_list("url", flat=True))
    budget = int(settings.FEED_MAX_NEW_ITEMS)
    created = 0
    for url in (url for url in urls if url not in known):
        if created >= budget:
            break
        # get_or_create: a concurrent crawl of an overlapping feed may create it first; then only
        # that crawl queues the fetch.
        source, was_created = Source.objects.get_or_create(
            url=url, defaults={"domain": urlsplit(url).hostname or "", "origin": Source.Origin.FEED}
        )
        if was_created:
            source_id = source.pk
            transaction.on_commit(lambda source_id=source_id: fetch_source.delay(source_id))
            created += 1
    return created


def feeds_lease_due() -> list[int]:
    """Active feeds whose interval has passed, each leased by moving `last_crawled_at` forward with
    a conditional UPDATE, so overlapping beat ticks never crawl one feed twice."""
    now = timezone.now()
    due = (
        Feed.objects.filter(active=True)
        .annotate(due_at=F("last_crawled_at") + F("interval"))
        .filter(Q(last_crawled_at__isnull=True) | Q(due_at__lte=now))
    )
    leased = []
    for feed_id, last in due.values_list("id", "last_crawled_at"):
        if Feed.objects.filter(pk=feed_id, last_crawled_at=last).update(last_crawled_at=now) == 1:
            leased.append(feed_id)
    return leased
