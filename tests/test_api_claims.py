"""Claims through the partner API: who sees what, filters, pages, evidence, ETags, ClaimReview, search."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from claims.models import Claim, ClaimEvent, Comment
from claims.services.evidence import evidence_decide
from sources.models import Source
from tests.factories import auth, make_article, make_claim, make_evidence, make_partner, submitted_by

pytestmark = pytest.mark.django_db

VERIFIED, DISPUTED = Claim.Status.VERIFIED, Claim.Status.DISPUTED


@pytest.fixture
def newsroom(reviewer):
    """Two partners, each with an article, plus an article our own reviewers submitted."""
    harbour, harbour_key = make_partner("Harbour Gazette")
    valley, valley_key = make_partner("Valley Courier")
    harbour_article = submitted_by(
        harbour, make_article(title="Harbour budget", url="https://harbour.example/b")
    )
    valley_article = submitted_by(valley, make_article(title="Valley jobs"))
    staff_article = make_article(title="Desk story")
    claims = {
        "harbour_open": make_claim(harbour_article, "The harbour budget doubled in 2024."),
        "harbour_verified": make_claim(
            harbour_article, "Ferry fares rose by 12% last year.", status=VERIFIED, reviewed_by=reviewer
        ),
        "valley_open": make_claim(valley_article, "Valley unemployment is the lowest in the region."),
        "valley_disputed": make_claim(
            valley_article, "The valley mine employs 3,000 people.", status=DISPUTED, reviewed_by=reviewer
        ),
        "staff_open": make_claim(staff_article, "Tram ridership tripled since 2019."),
        "staff_verified": make_claim(
            staff_article, "Unemployment fell to 4.1% in March.", status=VERIFIED, reviewed_by=reviewer
        ),
    }
    return {"harbour": harbour_key, "valley": valley_key, "claims": claims, "articles": {
        "harbour": harbour_article, "valley": valley_article, "staff": staff_article}}  # fmt: skip


def _ids(response) -> set[int]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["results"]}


def test_it_shows_a_partner_its_own_claims_and_every_verdict_but_not_others_open_work(client, newsroom):
    claims = newsroom["claims"]

    harbour = _ids(client.get("/api/v1/claims/", headers=auth(newsroom["harbour"])))
    valley = _ids(client.get("/api/v1/claims/", headers=auth(newsroom["valley"])))

    verdicts = {claims["harbour_verified"].pk, claims["valley_disputed"].pk, claims["staff_verified"].pk}
    assert harbour == verdicts | {claims["harbour_open"].pk}
    assert valley == verdicts | {claims["valley_open"].pk}
    # Nobody sees unreviewed claims of an article they did not submit.
    for key, hidden in (("harbour", "valley_open"), ("valley", "harbour_open"), ("harbour", "staff_open")):
        response = client.get(f"/api/v1/claims/{claims[hidden].pk}/", headers=auth(newsroom[key]))
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"
    other_verdict = client.get(
        f"/api/v1/claims/{claims['valley_disputed'].pk}/", headers=auth(newsroom["harbour"])
    )
    assert other_verdict.status_code == 200


def test_it_lists_and_shows_only_a_partners_own_articles(client, newsroom):
    articles = newsroom["articles"]

    listed = client.get("/api/v1/articles/", headers=auth(newsroom["harbour"])).json()["results"]
    assert [a["id"] for a in listed] == [articles["harbour"].pk]
    assert listed[0]["claim_count"] == 2

    detail = client.get(
        f"/api/v1/articles/{articles['harbour'].pk}/", headers=auth(newsroom["harbour"])
    ).json()
    assert detail["status"] == "done" and detail["progress"][0]["step"] == "done"
    assert [c["id"] for c in detail["claims"]] == [
        newsroom["claims"]["harbour_open"].pk,
        newsroom["claims"]["harbour_verified"].pk,
    ]
    for other in ("valley", "staff"):
        response = client.get(f"/api/v1/articles/{articles[other].pk}/", headers=auth(newsroom["harbour"]))
        assert response.status_code == 404


def test_it_filters_claims(client, newsroom):
    claims, key = newsroom["claims"], auth(newsroom["harbour"])

    def ids(query: str) -> set[int]:
        return _ids(client.get(f"/api/v1/claims/?{query}", headers=key))

    assert ids("status=unreviewed") == {claims["harbour_open"].pk}
    assert ids("verdict=disputed") == {claims["valley_disputed"].pk}
    assert ids("verdict=none") == {claims["harbour_open"].pk}
    assert ids("verdict=any") == {
        claims[n].pk for n in ("harbour_verified", "valley_disputed", "staff_verified")
    }
    assert ids(f"article={newsroom['articles']['valley'].pk}") == {claims["valley_disputed"].pk}
    assert ids("q=UNEMPLOYMENT") == {claims["staff_verified"].pk}
    Claim.objects.filter(pk=claims["harbour_open"].pk).update(needs_recheck=True)
    assert ids("needs_recheck=true") == {claims["harbour_open"].pk}

    an_hour_ago = timezone.now() - timedelta(hours=1)
    Claim.objects.exclude(pk=claims["harbour_verified"].pk).update(updated_at=an_hour_ago - timedelta(days=1))
    since = an_hour_ago.isoformat().replace("+00:00", "Z")
    assert ids(f"updated_since={since}") == {claims["harbour_verified"].pk}

    bad = client.get("/api/v1/claims/?status=true&updated_since=yesterday", headers=key)
    assert bad.status_code == 400
    assert set(bad.json()["error"]["details"]) == {"status", "updated_since"}
    # A misspelt filter is an error, not a silently unfiltered list.
    typo = client.get("/api/v1/claims/?verdit=any", headers=key)
    assert typo.status_code == 400
    assert typo.json()["error"]["details"] == {"verdit": ["Unknown query parameter."]}


def test_it_pages_claims_with_a_cursor(client, newsroom):
    key = auth(newsroom["harbour"])
    article = newsroom["articles"]["harbour"]
    for n in range(5):
        make_claim(article, f"Claim number {n} about the harbour budget.")

    seen: list[int] = []
    url = "/api/v1/claims/?page_size=3"
    while url:
        page = client.get(url, headers=key).json()
        assert len(page["results"]) <= 3
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 4 + 5
    assert set(seen) == _ids(client.get("/api/v1/claims/?page_size=100", headers=key))
    # A cursor not given out by the API is the client's mistake: 400 with a message, never a 500.
    import base64

    crafted = base64.b64encode(b"p=notadate").decode()
    for cursor in ("garbage", crafted):
        for path in ("claims", "articles"):
            response = client.get(f"/api/v1/{path}/?cursor={cursor}", headers=key)
            assert response.status_code == 400, (path, cursor, response.content)
            assert "next" in response.json()["error"]["details"]["cursor"][0]


def test_it_shows_a_verdict_with_its_evidence_and_no_reviewer_or_comments(client, newsroom, reviewer):
    claim = newsroom["claims"]["staff_verified"]
    claim.rating_label = "Accurate"
    claim.save(update_fields=["rating_label"])
    confirmed = make_evidence(claim, confirmed=True)
    make_evidence(claim, passage_text="A page that was judged irrelevant.", rejected=True)
    unconfirmed = make_evidence(
        claim,
        passage_text="Unemployment was 4.3% in March.",
        source_url="https://other.example.org/",
        stance="refutes",
    )
    Comment.objects.create(claim=claim, author=reviewer, body="Internal: ask the desk about March.")

    response = client.get(f"/api/v1/claims/{claim.pk}/", headers=auth(newsroom["valley"]))

    body = response.json()
    assert body["verdict"] == "verified" and body["status"] == "verified"
    assert body["rationale"] == claim.rationale and body["rating_label"] == "Accurate"
    assert body["reviewed_at"] is not None
    assert body["article"] == {"id": claim.article_id, "url": "", "title": "Desk story", "published_on": None}
    [evidence] = body["evidence"]  # what the verdict rests on; the rejected one is not shown
    [suggested] = body["machine_suggestions"]  # shown apart, never as the verdict's evidence
    assert suggested["confirmed"] is False and suggested["passage"] == unconfirmed.passage.text
    assert evidence["source_url"] == "https://stats.example.org/release"
    assert evidence["passage"] == confirmed.passage.text
    assert evidence["stance"] == "supports" and evidence["confirmed"] is True
    assert evidence["snapshot"]["content_hash"] == confirmed.snapshot.content_hash
    assert evidence["snapshot"]["fetched_at"].startswith(str(confirmed.snapshot.fetched_at.date()))
    text = response.content.decode()
    assert "alice" not in text and "Internal" not in text and "reviewed_by" not in text


def test_it_answers_304_to_a_matching_etag_until_the_claim_or_its_evidence_changes(
    client, newsroom, reviewer
):
    claim = newsroom["claims"]["harbour_open"]
    evidence = make_evidence(claim)
    key = auth(newsroom["harbour"])

    first = client.get(f"/api/v1/claims/{claim.pk}/", headers=key)
    etag = first.headers["ETag"]
    assert etag.startswith('"') and first.status_code == 200

    again = client.get(f"/api/v1/claims/{claim.pk}/", headers={**key, "If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b"" and again.headers["ETag"] == etag
    assert (
        client.get(f"/api/v1/claims/{claim.pk}/", headers={**key, "If-None-Match": '"other"'}).status_code
        == 200
    )

    # A reviewer confirming evidence does not touch the claim row, but changes what the partner reads.
    evidence_decide(evidence=evidence, user=reviewer, confirmed=True, stance="refutes")
    changed = client.get(f"/api/v1/claims/{claim.pk}/", headers={**key, "If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert changed.json()["evidence"][0]["stance"] == "refutes"


def test_it_gives_claimreview_json_ld_for_a_verdict(client, newsroom, settings):
    settings.CLAIMREVIEW_ORGANIZATION_NAME = "Riverton Fact Desk"
    settings.CLAIMREVIEW_ORGANIZATION_URL = "https://facts.example.org/"
    claim = newsroom["claims"]["harbour_verified"]
    article = newsroom["articles"]["harbour"]
    article.published_on = date(2026, 3, 14)
    article.save(update_fields=["published_on"])

    response = client.get(f"/api/v1/claims/{claim.pk}/claimreview/", headers=auth(newsroom["valley"]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/ld+json"
    review = response.json()
    claim.refresh_from_db()
    assert review == {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": f"http://testserver/api/v1/claims/{claim.pk}/",
        "claimReviewed": "Ferry fares rose by 12% last year.",
        "datePublished": claim.reviewed_at.date().isoformat(),
        "author": {
            "@type": "Organization",
            "name": "Riverton Fact Desk",
            "url": "https://facts.example.org/",
        },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": 5,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": "Verified",
        },
        "itemReviewed": {
            "@type": "Claim",
            # When the claim was made (the article's date), not when it was reviewed.
            "datePublished": "2026-03-14",
            "appearance": [
                {"@type": "CreativeWork", "url": "https://harbour.example/b", "headline": "Harbour budget"}
            ],
        },
    }
    disputed = newsroom["claims"]["valley_disputed"]
    disputed_review = client.get(
        f"/api/v1/claims/{disputed.pk}/claimreview/", headers=auth(newsroom["valley"])
    )
    assert disputed_review.json()["reviewRating"]["ratingValue"] == 1
    assert disputed_review.json()["reviewRating"]["alternateName"] == "Disputed"

    open_claim = newsroom["claims"]["harbour_open"]
    missing = client.get(f"/api/v1/claims/{open_claim.pk}/claimreview/", headers=auth(newsroom["harbour"]))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "no_verdict"


def test_it_searches_claims_with_verdicts_by_text(client, newsroom):
    claims, key = newsroom["claims"], auth(newsroom["harbour"])

    reworded = client.get(
        "/api/v1/claims/search/?q=unemployment dropped to 4.1 percent in March", headers=key
    )
    results = reworded.json()["results"]
    assert results[0]["id"] == claims["staff_verified"].pk
    assert results[0]["verdict"] == "verified" and results[0]["relevance"] > 0

    phrase = client.get("/api/v1/claims/search/?q=ferry fares", headers=key).json()["results"]
    assert [r["id"] for r in phrase] == [claims["harbour_verified"].pk]
    # Only verdicts are searched, even the partner's own open claims.
    assert client.get("/api/v1/claims/search/?q=harbour budget doubled", headers=key).json()["results"] == []
    assert client.get("/api/v1/claims/search/?q=ab", headers=key).status_code == 400


def test_it_takes_a_source_suggestion_from_a_partner(client, newsroom, django_capture_on_commit_callbacks):
    claim = newsroom["claims"]["harbour_open"]
    key = auth(newsroom["harbour"])

    with django_capture_on_commit_callbacks() as queued:
        response = client.post(
            f"/api/v1/claims/{claim.pk}/sources/",
            {"url": "https://port-authority.example/annual-report"},
            content_type="application/json",
            headers=key,
        )

    assert response.status_code == 202
    source = Source.objects.get(pk=response.json()["source"])
    assert source.url == "https://port-authority.example/annual-report"
    assert source.origin == Source.Origin.PARTNER
    event = ClaimEvent.objects.get(claim=claim, kind="source_added")
    assert event.actor is None and event.actor_label == "partner:Harbour Gazette"
    assert len(queued) == 1  # the fetch, after commit

    bad = client.post(
        f"/api/v1/claims/{claim.pk}/sources/",
        {"url": "ftp://x"},
        content_type="application/json",
        headers=key,
    )
    assert bad.status_code == 400 and set(bad.json()["error"]["details"]) == {"url"}
    hidden = newsroom["claims"]["valley_open"]
    assert (
        client.post(
            f"/api/v1/claims/{hidden.pk}/sources/",
            {"url": "https://example.org/"},
            content_type="application/json",
            headers=key,
        ).status_code
        == 404
    )
