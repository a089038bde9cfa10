"""A demo library for local runs: the CLEF 2020 task 2 verified claims (Snopes) as fact-check entries.

`verified_claims.jsonl` rows are `vclaim_id`, `vclaim` (the claim as Snopes stated it) and `title` (the
headline of its review). The set gives no review URL, publisher rating or date, so each entry links to a
Snopes search for its headline, made unique by the set's id in the fragment, and shows "rating not
given". Vectors come from the evaluation's cache (claims.evaluation.embedding_cache), computed over the
same texts in the same order as `evaluate claim-matching`: the library then ranks exactly as evaluated.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from django.utils import timezone

from .claimreview_parsing import Found, ParsedReview, Skipped
from .models import FactCheck
from .services.factchecks import ImportReport, factchecks_import, vectors_to_bytes

LABEL = "CLEF 2020 task 2 verified claims (Snopes)"
PUBLISHER = ("Snopes", "https://www.snopes.com/")


def demo_review_url(row: dict[str, Any]) -> str:
    headline = str(row.get("title") or row["vclaim"])
    return f"https://www.snopes.com/search/?q={quote_plus(headline[:200])}#clef2020-vclaim-{row['vclaim_id']}"


def read_rows(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def verified_claim_reviews(rows: list[dict[str, Any]]) -> Iterator[Found | Skipped]:
    for number, row in enumerate(rows, start=1):
        claim = " ".join(str(row.get("vclaim") or "").split())
        if not claim or "vclaim_id" not in row:
            yield Skipped(f"line {number}", "no vclaim / vclaim_id")
            continue
        yield Found(
            f"line {number}",
            ParsedReview(
                url=demo_review_url(row),
                claim_reviewed=claim,
                headline=" ".join(str(row.get("title") or "").split()),
                publisher_name=PUBLISHER[0],
                publisher_url=PUBLISHER[1],
                language="en",
            ),
        )


def _cached_vectors(rows: list[dict[str, Any]], ids: list[int]) -> int:
    """Store the evaluation's vectors (statement, headline) on the demo entries among ids."""
    from .evaluation.embedding_cache import cached_encode

    statements = cached_encode([str(row["vclaim"]) for row in rows])
    headlines = cached_encode([str(row.get("title") or row["vclaim"]) for row in rows])
    if statements is None or headlines is None:
        return 0
    by_url = {demo_review_url(row): i for i, row in enumerate(rows)}
    stored = 0
    for start in range(0, len(ids), 1000):
        entries = list(FactCheck.objects.filter(pk__in=ids[start : start + 1000]).only("pk", "url"))
        now = timezone.now()
        for entry in entries:
            i = by_url[entry.url]
            entry.vectors = vectors_to_bytes(statements[i], headlines[i])
            entry.updated_at = now  # so every process's ranked library sees the new vectors
        FactCheck.objects.bulk_update(entries, ["vectors", "updated_at"])
        stored += len(entries)
    return stored


def seed_demo_library(path: Path) -> ImportReport:
    rows = read_rows(path)
    return factchecks_import(
        outcomes=verified_claim_reviews(rows),
        origin=FactCheck.Origin.IMPORT,
        origin_label=LABEL,
        embed=lambda ids: _cached_vectors(rows, ids),
    )
