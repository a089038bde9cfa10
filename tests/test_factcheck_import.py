"""The fact-check library: `manage.py import_factchecks` in every shape publishers use, idempotent by
review URL, malformed items reported with their position; our own verdicts as library entries."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from claims.claimreview_parsing import Found, Ignored, Skipped, read_claim_reviews
from claims.models import Claim, FactCheck
from claims.services.claims import claim_revert_verdict, claim_set_verdict
from tests.factories import make_article, make_claim


def review(url: str, claim: str, **extra) -> dict:
    return {
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "url": url,
        "claimReviewed": claim,
        **extra,
    }


BUS_REVIEW = review(
    "https://checkers.example/riverton-buses",
    "Riverton cut its city bus fleet by half in 2023.",
    name="No, Riverton did not halve its bus fleet",
    author={"@type": "Organization", "name": "Harbour Checkers", "url": "https://checkers.example/"},
    reviewRating={
        "@type": "Rating",
        "ratingValue": 1,
        "bestRating": 5,
        "worstRating": 1,
        "alternateName": "False",
    },
    itemReviewed={
        "@type": "Claim",
        "author": {"@type": "Person", "name": "Councillor Day"},
        "datePublished": "2024-02-03",
        "appearance": [{"@type": "CreativeWork", "url": "https://social.example/post/1"}],
    },
    datePublished="2024-02-10T09:00:00+00:00",
    inLanguage={"@type": "Language", "name": "English", "alternateName": "en"},
)
MOON_REVIEW = review(
    "https://truth.example/moon",
    "The 1969 moon landing was filmed in a studio.",
    author={"@type": "Organization", "name": "Truth Desk"},
)
VACCINE_REVIEW = review(
    "https://truth.example/vaccine-chips", "Vaccines contain microchips for tracking people."
)
GRAPH = {
    "@context": "https://schema.org",
    "@graph": [{"@type": "WebPage", "name": "Fact checks"}, MOON_REVIEW],
}
FEED = {
    "@context": "https://schema.org",
    "@type": "DataFeed",
    "dataFeedElement": [{"@type": "DataFeedItem", "item": [VACCINE_REVIEW]}],
}


def three_shapes_file(tmp_path: Path) -> Path:
    """JSON Lines: one object, an @graph, a DataFeed; then a broken line and a review without a URL."""
    lines = [
        json.dumps(BUS_REVIEW),
        json.dumps(GRAPH),
        json.dumps(FEED),
        '{"@type": "ClaimReview", "url": ',
        json.dumps(review("", "Someone said something.")),
    ]
    path = tmp_path / "reviews.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def run_import(path: Path) -> dict:
    out = io.StringIO()
    call_command("import_factchecks", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


def test_it_reads_every_shape_with_positions():
    outcomes = list(read_claim_reviews(json.dumps([BUS_REVIEW, {"@graph": [MOON_REVIEW]}, FEED, 7])))

    found = [(o.position, o.review.url) for o in outcomes if isinstance(o, Found)]
    assert found == [
        ("[0]", BUS_REVIEW["url"]),
        ("[1] · @graph[0]", MOON_REVIEW["url"]),
        ("[2] · dataFeedElement[0].item[0]", VACCINE_REVIEW["url"]),
    ]
    assert [o for o in outcomes if isinstance(o, Skipped)] == [
        Skipped("[3]", "expected a JSON object, found int")
    ]


def test_it_normalises_one_review_leniently():
    (outcome,) = read_claim_reviews(json.dumps(BUS_REVIEW))

    parsed = outcome.review
    assert parsed.claim_reviewed == "Riverton cut its city bus fleet by half in 2023."
    assert parsed.headline == "No, Riverton did not halve its bus fleet"
    assert (parsed.publisher_name, parsed.publisher_url) == ("Harbour Checkers", "https://checkers.example/")
    assert (parsed.rating_name, parsed.rating_value, parsed.best_rating, parsed.worst_rating) == (
        "False",
        1,
        5,
        1,
    )
    assert parsed.claimant == "Councillor Day"
    assert parsed.claim_date.isoformat() == "2024-02-03"
    assert parsed.date_published.isoformat() == "2024-02-10"
    assert parsed.claim_appearance_url == "https://social.example/post/1"
    assert parsed.language == "en"


def test_it_reads_the_ld_json_blocks_of_an_html_page():
    html = (
        "<!doctype html><html><head><script type='application/ld+json'>"
        + json.dumps({"@type": "Organization", "name": "Truth Desk"})
        + '</script><script type="application/ld+json">'
        + json.dumps(MOON_REVIEW)
        + "</script><script>var x = 1;</script></head><body>Moon</body></html>"
    )
    outcomes = list(read_claim_reviews(html))

    assert outcomes[0] == Ignored("script 1", "Organization")
    assert isinstance(outcomes[1], Found) and outcomes[1].position == "script 2"
    assert outcomes[1].review.publisher_name == "Truth Desk"
    assert len(outcomes) == 2


def test_it_names_the_publisher_by_host_and_refuses_non_web_urls():
    (ok,) = read_claim_reviews(json.dumps(VACCINE_REVIEW))
    (bad,) = read_claim_reviews(json.dumps(review("javascript:alert(1)", "A claim.")))

    assert ok.review.publisher_name == "truth.example"
    assert ok.review.rating_name == "" and ok.review.rating_value is None
    assert isinstance(bad, Skipped) and "not an http(s) address" in bad.reason


@pytest.mark.django_db
def test_it_imports_three_shapes_and_reports_each_malformed_item_with_its_position(tmp_path):
    result = run_import(three_shapes_file(tmp_path))

    assert (result["new"], result["updated"], result["unchanged"], result["skipped"]) == (3, 0, 0, 2)
    assert result["skipped_items"][0]["position"] == "line 4"
    assert result["skipped_items"][0]["reason"].startswith("not valid JSON")
    assert result["skipped_items"][1] == {"position": "line 5", "reason": "no review URL"}
    bus = FactCheck.objects.get(url=BUS_REVIEW["url"])
    assert (bus.publisher_name, bus.rating_text, bus.origin, bus.origin_label) == (
        "Harbour Checkers",
        "False",
        "import",
        "reviews.jsonl",
    )
    assert FactCheck.objects.get(url=VACCINE_REVIEW["url"]).rating_text == "rating not given"
    assert FactCheck.objects.count() == 3


@pytest.mark.django_db
def test_it_changes_nothing_on_a_reimport_and_updates_a_changed_review(tmp_path):
    path = three_shapes_file(tmp_path)
    run_import(path)
    before = {row.url: (row.pk, row.updated_at) for row in FactCheck.objects.all()}

    again = run_import(path)

    assert (again["new"], again["updated"], again["unchanged"]) == (0, 0, 3)
    assert {row.url: (row.pk, row.updated_at) for row in FactCheck.objects.all()} == before

    changed = dict(MOON_REVIEW, reviewRating={"@type": "Rating", "alternateName": "Pants on fire"})
    (tmp_path / "update.json").write_text(json.dumps([changed, MOON_REVIEW]), encoding="utf-8")
    update = run_import(tmp_path / "update.json")

    assert (update["new"], update["updated"], update["unchanged"]) == (0, 1, 0)
    assert update["skipped_items"] == [{"position": "[1]", "reason": "same review URL as [0]"}]
    moon = FactCheck.objects.get(url=MOON_REVIEW["url"])
    assert moon.pk == before[MOON_REVIEW["url"]][0]
    assert moon.rating_text == "Pants on fire"
    assert FactCheck.objects.count() == 3


@pytest.mark.django_db
def test_it_prints_counts_and_skip_reasons_for_people(tmp_path):
    out = io.StringIO()
    call_command("import_factchecks", str(three_shapes_file(tmp_path)), stdout=out)

    text = out.getvalue()
    assert "reviews.jsonl: 3 new, 0 updated, 0 unchanged, 2 skipped" in text
    assert "1 ignored (not ClaimReview)" in text
    assert "skipped line 5: no review URL" in text


@pytest.mark.django_db
def test_it_refuses_a_missing_file_and_survives_a_file_that_is_not_json(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_factchecks", str(tmp_path / "nope.json"), stdout=io.StringIO())
    (tmp_path / "junk.json").write_text("this is not json", encoding="utf-8")

    result = run_import(tmp_path / "junk.json")

    assert result["new"] == 0
    assert result["skipped_items"][0]["position"] == "file"


@pytest.mark.django_db
def test_it_keeps_our_own_verdicts_in_the_library(reviewer, editor):
    claim = make_claim(make_article(), "The harbour tunnel carried 31,000 cars a day in 2025.")

    claim = claim_set_verdict(
        claim=claim, user=reviewer, status=Claim.Status.DISPUTED, rationale="Traffic counts say 24,000.",
        expected_version=claim.version,
    )  # fmt: skip

    entry = FactCheck.objects.get(claim=claim)
    assert entry.origin == FactCheck.Origin.OUR_VERDICT
    assert entry.get_origin_display() == "our verdict"
    assert (entry.claim_reviewed, entry.rating_text) == (claim.text, "Disputed")
    assert entry.url.endswith(f"/claims/{claim.pk}/")

    claim_revert_verdict(claim=claim, user=editor, note="wrong counts", expected_version=claim.version)

    assert not FactCheck.objects.filter(claim=claim).exists()
