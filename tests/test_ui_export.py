"""CSV export of a queue view: its filters and order, verdicts, rationale, evidence URLs and matched
fact-checks, streamed, for editors only, with spreadsheet formulas defused."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, FactCheck, FactCheckMatch
from tests.factories import make_article, make_claim, make_evidence


def exported(response) -> list[dict]:
    assert response.streaming and response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def queue(db, reviewer):
    article = make_article(title="Tunnel story", url="https://news.example/tunnel")
    verified = make_claim(
        article, "The harbour tunnel carried 31,000 cars a day in 2025.", status=Claim.Status.VERIFIED,
        rationale="=HYPERLINK(\"https://evil.example\")", reviewed_by=reviewer,
    )  # fmt: skip
    make_evidence(verified, source_url="https://roads.example/counts", confirmed=True)
    make_evidence(verified, source_url="https://blog.example/guess")
    entry = FactCheck.objects.create(
        url="https://checkers.example/tunnel", claim_reviewed=verified.text,
        publisher_name="Harbour Checkers", rating_name="True", origin="import",
    )  # fmt: skip
    FactCheckMatch.objects.create(claim=verified, fact_check=entry, similarity=0.8, state="confirmed")
    open_claims = [make_claim(article, f"Ferry fares rose {n}% in May.") for n in range(3, 9)]
    return verified, open_claims


def test_an_editor_exports_the_view_with_its_filters(client, editor, queue):
    verified, open_claims = queue
    client.force_login(editor)

    rows = exported(client.get(reverse("claims:queue_csv"), {"status": "verified"}))
    every = exported(client.get(reverse("claims:queue_csv"), {"status": "all", "sort": "-created"}))

    [row] = rows
    assert row["claim_id"] == str(verified.pk) and row["verdict"] == "verified"
    assert row["evidence_urls"] == "https://roads.example/counts"
    assert row["suggested_evidence_urls"] == "https://blog.example/guess"
    assert row["fact_checks"] == "Harbour Checkers: True (confirmed) https://checkers.example/tunnel"
    assert row["rationale"].startswith("'=HYPERLINK")  # a formula is never run by a spreadsheet
    assert row["article_url"] == "https://news.example/tunnel" and row["reviewed_by"] == "alice"
    assert [int(r["claim_id"]) for r in every] == [c.pk for c in reversed([verified, *open_claims])]


def test_the_export_runs_a_fixed_number_of_queries(client, editor, queue):
    client.force_login(editor)
    client.get(reverse("claims:queue"))  # session and groups warmed

    with CaptureQueriesContext(connection) as few:
        exported(client.get(reverse("claims:queue_csv"), {"status": "verified"}))
    with CaptureQueriesContext(connection) as many:
        exported(client.get(reverse("claims:queue_csv"), {"status": "all"}))

    assert len(few) == len(many)


def test_reviewers_cannot_export_and_the_queue_links_it_for_editors(client, reviewer, editor, queue):
    client.force_login(reviewer)
    assert client.get(reverse("claims:queue_csv")).status_code == 403
    assert b"Export these claims as CSV" not in client.get(reverse("claims:queue")).content

    client.force_login(editor)
    page = client.get(reverse("claims:queue"), {"status": "verified", "page": "1"}).content.decode()
    assert f'href="{reverse("claims:queue_csv")}?status=verified"' in page
