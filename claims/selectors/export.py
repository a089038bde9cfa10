"""The CSV export of a queue view: the queue's own filters and order, one row per claim, streamed.

Rows carry the verdict, rationale, evidence URLs and matched published fact-checks. Claims are read in
chunks with their evidence and fact-checks prefetched per chunk, so the export runs a fixed number of
queries per CHUNK claims however long it is, and never holds the whole queue in memory.
"""

import csv
from collections.abc import Iterable, Iterator
from typing import Any

from django.db.models import Prefetch, QuerySet

from ..models import Claim, Evidence
from .fact_checks import fact_checks_prefetch

CHUNK = 500
HEADER = [
    "claim_id", "status", "verdict", "claim", "score", "article_id", "article_title", "article_url",
    "assignee", "reviewed_by", "reviewed_at", "rationale", "rating_label", "demand_articles",
    "demand_partners", "evidence_urls", "suggested_evidence_urls", "fact_checks", "updated_at",
]  # fmt: skip
VERDICTS = {Claim.Status.VERIFIED, Claim.Status.DISPUTED}


def export_rows(claims: QuerySet[Claim]) -> Iterator[list[Any]]:
    evidence = (
        Evidence.objects.filter(is_rejected=False).select_related("snapshot__source").order_by("-score", "id")
    )
    rows = claims.prefetch_related(
        Prefetch(
            "evidence", queryset=evidence.only("id", "claim_id", "is_confirmed", "snapshot__source__url")
        ),
        fact_checks_prefetch(),
    ).iterator(chunk_size=CHUNK)
    yield HEADER
    for claim in rows:
        items = list(claim.evidence.all())
        yield [
            claim.pk,
            claim.status,
            claim.status if claim.status in VERDICTS else "",
            claim.text,
            claim.score,
            claim.article_id,
            claim.article.title,
            claim.article.url,
            claim.assignee.get_username() if claim.assignee else "",
            claim.reviewed_by.get_username() if claim.reviewed_by else "",
            claim.reviewed_at.isoformat() if claim.reviewed_at else "",
            claim.rationale,
            claim.rating_label,
            claim.demand_articles,
            claim.demand_partners,
            " ".join(dict.fromkeys(e.snapshot.source.url for e in items if e.is_confirmed)),
            " ".join(dict.fromkeys(e.snapshot.source.url for e in items if not e.is_confirmed)),
            " | ".join(
                f"{m.fact_check.publisher_name}: {m.fact_check.rating_text} ({m.state}) {m.fact_check.url}"
                for m in claim.visible_fact_checks
            ),
            claim.updated_at.isoformat(),
        ]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _cell(value: Any) -> Any:
    """A text cell a spreadsheet would run as a formula (=, +, -, @, tab, CR) is quoted with a leading
    apostrophe: an exported claim or rationale must never execute on an editor's machine."""
    if isinstance(value, str) and value[:1] in {"=", "+", "-", "@", "\t", "\r"}:
        return "'" + value
    return value


def csv_lines(rows: Iterable[list[Any]]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    for row in rows:
        yield writer.writerow([_cell(value) for value in row])
