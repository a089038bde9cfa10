"""Reference feeds: RSS, Atom and sitemaps registered by editors become sources, once each."""

from datetime import timedelta

import pytest
from django.utils import timezone

from sources.feeds import feed_crawl, feeds_lease_due, parse_feed
from sources.models import Feed, Source

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Statistics office releases</title>
{items}
</channel></rss>"""
ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Port authority news</title>
<entry><title>Ferry figures</title><link rel="replies" href="/comments/1"/><link href="/news/ferry"/></entry>
<entry><title>Dredging</title><link rel="alternate" href="https://port.example.org/news/dredging"/></entry>
</feed>"""
SITEMAP = """<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
<url><loc>{base}/reports/2023</loc></url><url><loc>{base}/reports/2024</loc></url>
</urlset>"""
XML = "application/xml"


def rss(*paths: str) -> str:
    return RSS.format(items="".join(f"<item><title>{p}</title><link>{p}</link></item>" for p in paths))


@pytest.fixture(autouse=True)
def _local_fetching(settings) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0


def feed_sources() -> list[str]:
    return sorted(Source.objects.filter(origin=Source.Origin.FEED).values_list("url", flat=True))


def test_it_queues_new_rss_items_once(db, local_server, django_capture_on_commit_callbacks) -> None:
    local_server.route("/feed.xml", body=rss("/a", "/b"), content_type="application/rss+xml")
    for path in ("/a", "/b", "/c"):
        local_server.route(
            path, body=f"Release {path}: unemployment was 4.1% in March.", content_type="text/plain"
        )
    feed = Feed.objects.create(url=local_server.url("/feed.xml"))

    with django_capture_on_commit_callbacks(execute=True):
        first = feed_crawl(feed.pk)
    local_server.route("/feed.xml", body=rss("/c", "/a", "/b"), content_type="application/rss+xml")
    with django_capture_on_commit_callbacks(execute=True):
        second = feed_crawl(feed.pk)

    assert (first.created, second.created) == (2, 1)
    assert feed_sources() == [local_server.url(p) for p in ("/a", "/b", "/c")]
    assert all(local_server.hits[p] == 1 for p in ("/a", "/b", "/c")), "each new item fetched once"
    feed.refresh_from_db()
    assert (feed.kind, feed.title, feed.items_seen, feed.last_error) == (
        "rss",
        "Statistics office releases",
        3,
        "",
    )


def test_it_reads_atom_and_sitemaps(db, local_server) -> None:
    local_server.route("/atom", body=ATOM, content_type="application/atom+xml")
    local_server.route(
        "/sitemap.xml", body=SITEMAP.format(base=local_server.url("").rstrip("/")), content_type=XML
    )
    atom = Feed.objects.create(url=local_server.url("/atom"))
    sitemap = Feed.objects.create(url=local_server.url("/sitemap.xml"))

    assert feed_crawl(atom.pk).created == 2
    assert feed_crawl(sitemap.pk).created == 2

    assert local_server.url("/news/ferry") in feed_sources(), "relative links resolved, comment links skipped"
    assert "https://port.example.org/news/dredging" in feed_sources()
    assert local_server.url("/reports/2024") in feed_sources()
    assert dict(Feed.objects.values_list("url", "kind"))[sitemap.url] == "sitemap"


def test_it_bounds_the_fan_out_of_one_crawl(db, local_server, settings) -> None:
    settings.FEED_MAX_NEW_ITEMS = 3
    local_server.route("/feed.xml", body=rss(*[f"/item/{i}" for i in range(8)]), content_type=XML)
    feed = Feed.objects.create(url=local_server.url("/feed.xml"))

    counts = [feed_crawl(feed.pk).created for _ in range(4)]

    assert counts == [3, 3, 2, 0]
    assert len(feed_sources()) == 8


def test_it_uses_conditional_get_for_feeds(db, local_server) -> None:
    def reply(request):
        from tests.httpserver import Reply

        if request.headers.get("if-none-match") == '"f1"':
            return Reply(304, b"", {"ETag": '"f1"'})
        return Reply(200, rss("/a"), {"Content-Type": XML, "ETag": '"f1"'})

    local_server.handle("/feed.xml", reply)
    feed = Feed.objects.create(url=local_server.url("/feed.xml"))

    assert feed_crawl(feed.pk).created == 1
    assert feed_crawl(feed.pk).created == 0
    assert local_server.requests_to("/feed.xml")[-1].headers["if-none-match"] == '"f1"'


def test_it_stores_a_clear_error_for_a_broken_or_hostile_feed(db, local_server) -> None:
    billion_laughs = (
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
        "<rss><channel><item><link>&lol2;</link></item></channel></rss>"
    )
    local_server.route("/broken", body="<rss><channel><item>", content_type=XML)
    local_server.route("/html", body="<html><body>hi</body></html>")
    local_server.route("/lol", body=billion_laughs, content_type=XML)
    broken, html, lol = (Feed.objects.create(url=local_server.url(p)) for p in ("/broken", "/html", "/lol"))

    assert "not well-formed" in feed_crawl(broken.pk).error
    assert "text/html" in feed_crawl(html.pk).error
    feed_crawl(lol.pk)
    assert not Source.objects.filter(url__contains="lol").exists(), "entities are never expanded"
    broken.refresh_from_db()
    assert "not well-formed" in broken.last_error


def test_it_claims_each_due_feed_once(db, local_server) -> None:
    now = timezone.now()
    due = Feed.objects.create(url="https://a.example.org/feed", last_crawled_at=now - timedelta(hours=2))
    Feed.objects.create(url="https://b.example.org/feed", last_crawled_at=now - timedelta(minutes=5))
    Feed.objects.create(url="https://c.example.org/feed", active=False)
    new = Feed.objects.create(url="https://d.example.org/feed")

    assert sorted(feeds_lease_due()) == sorted([due.pk, new.pk])
    assert feeds_lease_due() == [], "a second tick finds them claimed"


def test_it_detects_rss_1_and_skips_non_http_links() -> None:
    body = b"""<?xml version="1.0"?>
    <rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/">
    <channel><title>Old-style feed</title></channel>
    <item><link>https://example.org/one</link></item><item><link>javascript:alert(1)</link></item>
    <item><link>https://example.org/one#comments</link></item></rdf:RDF>"""

    parsed = parse_feed(body, base_url="https://example.org/feed")

    assert (parsed.kind, parsed.items) == ("rss", ["https://example.org/one"])
