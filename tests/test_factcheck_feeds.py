"""Registered ClaimReview feeds: fetched through the safe fetcher with a conditional GET, imported by the
same code as `import_factchecks`, leased once per interval; failures are stored on the feed."""

import json
from datetime import timedelta

import pytest
from django.utils import timezone

from claims.models import ClaimReviewFeed, FactCheck
from claims.services.factchecks import claimreview_feed_fetch, claimreview_feeds_lease_due
from claims.tasks import crawl_claimreview_feeds
from sources.fetching import fetch
from sources.http import HttpError
from tests.httpserver import Reply
from tests.test_factcheck_import import BUS_REVIEW, FEED, MOON_REVIEW


@pytest.fixture(autouse=True)
def _local_fetching(settings) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0


def serve_feed(local_server, body: str, etag: str = '"v1"') -> None:
    """A publisher's feed that answers 304 to a client presenting its current ETag."""

    def handler(request) -> Reply:
        if request.headers.get("if-none-match") == etag:
            return Reply(304, headers={"ETag": etag})
        return Reply(200, body=body, headers={"Content-Type": "application/ld+json", "ETag": etag})

    local_server.handle("/claimreviews.json", handler)


@pytest.mark.django_db
def test_it_imports_a_feed_then_asks_again_with_its_etag(local_server):
    feed_body = dict(FEED, dataFeedElement=[*FEED["dataFeedElement"], {"item": [BUS_REVIEW, {"@type": "x"}]}])
    serve_feed(local_server, json.dumps(feed_body))
    feed = ClaimReviewFeed.objects.create(url=local_server.url("/claimreviews.json"), title="Checkers feed")

    first = claimreview_feed_fetch(feed.pk)
    second = claimreview_feed_fetch(feed.pk)

    assert (first.new, first.updated, first.ignored) == (2, 0, 1)
    assert second is None  # 304: nothing read, nothing written
    requests = [r for r in local_server.requests if r.path == "/claimreviews.json"]
    assert requests[1].headers.get("if-none-match") == '"v1"'
    feed.refresh_from_db()
    assert feed.etag == '"v1"' and feed.last_error == "" and feed.last_counts["new"] == 2
    entry = FactCheck.objects.get(url=BUS_REVIEW["url"])
    assert (entry.origin, entry.feed_id, entry.origin_label) == ("feed", feed.pk, "Checkers feed")


@pytest.mark.django_db
def test_a_changed_feed_updates_its_reviews_in_place(local_server):
    serve_feed(local_server, json.dumps([MOON_REVIEW]), etag='"v1"')
    feed = ClaimReviewFeed.objects.create(url=local_server.url("/claimreviews.json"))
    claimreview_feed_fetch(feed.pk)
    changed = dict(MOON_REVIEW, reviewRating={"@type": "Rating", "alternateName": "Pants on fire"})
    serve_feed(local_server, json.dumps([changed, BUS_REVIEW]), etag='"v2"')

    report = claimreview_feed_fetch(feed.pk)

    assert (report.new, report.updated, report.unchanged) == (1, 1, 0)
    assert FactCheck.objects.get(url=MOON_REVIEW["url"]).rating_text == "Pants on fire"
    assert FactCheck.objects.count() == 2


@pytest.mark.django_db
def test_a_feed_that_cannot_be_read_keeps_the_error_for_the_editor(local_server):
    local_server.route("/gone.json", status=404, body="no")
    feed = ClaimReviewFeed.objects.create(url=local_server.url("/gone.json"))

    assert claimreview_feed_fetch(feed.pk) is None

    feed.refresh_from_db()
    assert "404" in feed.last_error
    assert FactCheck.objects.count() == 0


def test_json_is_only_fetched_by_callers_that_ask_for_it(local_server, settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_server.route("/data.json", body=json.dumps(MOON_REVIEW), content_type="application/json")

    with pytest.raises(HttpError) as refused:
        fetch(local_server.url("/data.json"))  # what a source fetch asks for: pages and feeds
    fetched = fetch(local_server.url("/data.json"), accept=("application/json",))

    assert refused.value.kind == "unsupported_type"
    assert json.loads(fetched.text)["url"] == MOON_REVIEW["url"]


@pytest.mark.django_db
def test_beat_leases_each_due_feed_once(local_server, django_capture_on_commit_callbacks):
    serve_feed(local_server, json.dumps(MOON_REVIEW))
    due = ClaimReviewFeed.objects.create(url=local_server.url("/claimreviews.json"))
    ClaimReviewFeed.objects.create(url="https://later.example/feed.json", last_fetched_at=timezone.now())
    ClaimReviewFeed.objects.create(
        url="https://off.example/feed.json", active=False, last_fetched_at=timezone.now() - timedelta(days=9)
    )

    with django_capture_on_commit_callbacks(execute=True):  # the fetch runs eagerly, as a worker would
        assert crawl_claimreview_feeds() == 1

    assert claimreview_feeds_lease_due() == []
    assert FactCheck.objects.get().feed_id == due.pk


@pytest.mark.django_db
def test_an_editor_registers_a_feed_and_browses_the_library_in_the_admin(client, django_user_model):
    admin_user = django_user_model.objects.create_superuser("carol", password="carol-password")
    FactCheck.objects.create(url="https://x.example/1", claim_reviewed="<b>A claim</b>", origin="import")
    client.force_login(admin_user)

    added = client.post(
        "/admin/claims/claimreviewfeed/add/",
        {
            "url": "https://checkers.example/feed.json",
            "title": "Checkers",
            "active": "on",
            "interval": "06:00:00",
        },
    )
    listing = client.get("/admin/claims/factcheck/")

    assert added.status_code == 302
    feed = ClaimReviewFeed.objects.get()
    assert (feed.url, feed.added_by) == ("https://checkers.example/feed.json", admin_user)
    assert listing.status_code == 200 and b"&lt;b&gt;A claim&lt;/b&gt;" in listing.content
