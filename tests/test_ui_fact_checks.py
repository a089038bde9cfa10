"""The claim page's "Checked elsewhere": published reviews matched to the claim, decided by reviewers.

Publisher, rating ("rating not given" when absent), date, link and similarity are shown and escaped;
confirm / reject keeps who and when, is audited and needs the CSRF token; in a real browser the
decision swaps the section in place (htmx) and a confirmed rating can start the rationale.
"""

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import ClaimEvent, FactCheck, FactCheckMatch

from .factories import make_article_with_sentences, make_bare_claim


def entry(url: str, claim: str, **fields) -> FactCheck:
    return FactCheck.objects.create(
        url=url, claim_reviewed=claim, origin="import", content_hash="x", **fields
    )


@pytest.fixture
def matched(db):
    claim = make_bare_claim(
        make_article_with_sentences(title="Bus story"), "Riverton halved its buses in 2023."
    )
    rated = entry(
        "https://checkers.example/riverton-buses",
        "Riverton cut its city bus fleet by half in 2023.",
        headline="No, Riverton did not halve its bus fleet",
        publisher_name="Harbour Checkers",
        rating_name="False",
        date_published="2024-02-10",
    )
    hostile = entry(
        "https://evil.example/x",
        '<script>alert("claim")</script> Riverton buses',
        publisher_name="<img src=x onerror=alert(1)>",
    )
    first = FactCheckMatch.objects.create(claim=claim, fact_check=rated, similarity=0.71)
    second = FactCheckMatch.objects.create(claim=claim, fact_check=hostile, similarity=0.52)
    return claim, first, second


def test_it_shows_publisher_rating_date_link_and_similarity_escaped(client, reviewer, matched):
    claim, first, _ = matched
    client.force_login(reviewer)

    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()

    assert "Checked elsewhere (2)" in html
    assert "Harbour Checkers" in html and ">False<" in html and "2024-02-10" in html
    assert 'href="https://checkers.example/riverton-buses"' in html
    assert "similarity 0.71" in html
    assert "rating not given" in html
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(&quot;claim&quot;)&lt;/script&gt;" in html
    assert html.index("Harbour Checkers") < html.index("&lt;img src=x")  # most similar first


def test_a_reviewer_confirms_a_match_kept_with_who_and_when_and_audited(client, reviewer, matched):
    claim, first, second = matched
    client.force_login(reviewer)

    response = client.post(
        reverse("claims:fact_check_decide", args=[claim.pk, first.pk]), {"decision": "confirm"}
    )
    client.post(reverse("claims:fact_check_decide", args=[claim.pk, second.pk]), {"decision": "reject"})

    assert response.status_code == 302 and response["Location"].endswith("#fact-checks")
    first.refresh_from_db()
    assert (first.state, first.decided_by, first.decided_at is not None) == ("confirmed", reviewer, True)
    assert FactCheckMatch.objects.get(pk=second.pk).state == "rejected"
    kinds = list(ClaimEvent.objects.filter(claim=claim).values_list("kind", "actor__username"))
    assert ("fact_check_confirmed", "alice") in kinds and ("fact_check_rejected", "alice") in kinds
    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "Checked elsewhere (1)" in html and "confirmed by alice" in html
    assert "confirmed a published fact-check" in html  # the history says it in words


def test_a_confirmed_rating_starts_the_rationale(client, reviewer, matched):
    claim, first, _ = matched
    client.force_login(reviewer)
    client.post(reverse("claims:fact_check_decide", args=[claim.pk, first.pk]), {"decision": "confirm"})

    html = client.get(reverse("claims:claim_detail", args=[claim.pk]), {"cite": first.pk}).content.decode()

    assert "Harbour Checkers rated this claim \u201cFalse\u201d on 2024-02-10: " in html
    assert "https://checkers.example/riverton-buses</textarea>" in html


def test_a_decision_needs_the_csrf_token_and_the_right_claim(reviewer, matched):
    claim, first, _ = matched
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(reviewer)

    refused = strict.post(
        reverse("claims:fact_check_decide", args=[claim.pk, first.pk]), {"decision": "confirm"}
    )
    other = make_bare_claim(make_article_with_sentences(title="Other"), "Another claim entirely, 2020.")
    strict_other = Client()
    strict_other.force_login(reviewer)
    wrong_claim = strict_other.post(
        reverse("claims:fact_check_decide", args=[other.pk, first.pk]), {"decision": "confirm"}
    )

    assert refused.status_code == 403
    assert wrong_claim.status_code == 404
    assert FactCheckMatch.objects.get(pk=first.pk).state == "suggested"


@pytest.mark.browser
def test_in_a_browser_a_reviewer_confirms_a_published_fact_check_in_place(sessions, reviewer, matched):
    claim, first, _ = matched
    alice = sessions("alice")
    page = alice.page
    page.goto(reverse("claims:claim_detail", args=[claim.pk]))
    section = page.locator("#fact-checks")
    assert section.get_by_text("rating not given").count() == 1

    section.locator(f"#fact-check-{first.pk}").get_by_role("button", name="Reviews this claim").click()

    section = page.locator("#fact-checks")
    section.get_by_text("confirmed by alice").wait_for(timeout=10_000)
    alice.shot("claim-fact-checks")
    assert FactCheckMatch.objects.get(pk=first.pk).state == "confirmed"
    page.get_by_role("link", name="Use its rating in the rationale").click()
    rationale = page.get_by_label("Rationale")
    assert "Harbour Checkers rated this claim" in rationale.input_value()
