"""The fact-check library: importing published ClaimReviews, our own verdicts as entries, and matching
claims to entries with the claim-matching ranker (claims.matching).

Imports are idempotent by review URL: a review seen before with the same content is counted as
unchanged and not written; with other content it is updated in place (its vectors recomputed).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, F, Max, Q
from django.urls import reverse
from django.utils import timezone

from factcheck.queueing import enqueue

from ..claimreview_parsing import Found, Ignored, Outcome, ParsedReview, Skipped, read_claim_reviews
from ..matching import FACT_CHECK_SUGGEST_THRESHOLD, VerifiedClaimIndex, fact_check_candidates
from ..models import Claim, ClaimReviewFeed, FactCheck, FactCheckMatch
from .claims import claim_record_event

BATCH = 500
EMBED_BATCH = 64
OPEN_STATUSES = (Claim.Status.UNREVIEWED, Claim.Status.IN_REVIEW)
# Open claims re-ranked when the library grows, newest first: enough for a newsroom's backlog, and a
# bound on one task's work (every one is encoded again where the database keeps no claim vectors).
REMATCH_MAX_CLAIMS = 5000
DIMENSIONS = 384

_FIELDS = [
    "claim_reviewed",
    "headline",
    "claimant",
    "claim_date",
    "claim_appearance_url",
    "publisher_name",
    "publisher_url",
    "rating_name",
    "rating_value",
    "best_rating",
    "worst_rating",
    "language",
    "date_published",
]


@dataclass
class ImportReport:
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    ignored: int = 0
    skipped: list[Skipped] = field(default_factory=list)
    changed_ids: list[int] = field(default_factory=list)
    seconds: float = 0.0

    def counts(self) -> dict[str, int]:
        return {
            "new": self.new,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "skipped": len(self.skipped),
            "ignored": self.ignored,
        }


def factchecks_import(
    *,
    outcomes: Iterable[Outcome],
    origin: str,
    origin_label: str = "",
    feed_id: int | None = None,
    embed: Callable[[list[int]], int] | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Store the ClaimReviews a reader yields (claims.claimreview_parsing), BATCH at a time.

    Each batch is one short transaction, so a huge file never holds locks for long and what was read
    before a crash stays. A review URL met twice in one import keeps its first item (the second is
    reported as skipped). New and changed entries are embedded (by `embed`, factchecks_embed unless
    the caller has its vectors) and open claims are then matched against them on a worker.
    """
    started = time.perf_counter()
    report = ImportReport()
    seen: dict[str, str] = {}
    batch: list[tuple[str, ParsedReview]] = []
    read = 0
    for outcome in outcomes:
        read += 1
        if isinstance(outcome, Skipped):
            report.skipped.append(outcome)
        elif isinstance(outcome, Ignored):
            report.ignored += 1
        elif isinstance(outcome, Found):
            first = seen.setdefault(outcome.review.url, outcome.position)
            if first != outcome.position:
                report.skipped.append(Skipped(outcome.position, f"same review URL as {first}"))
                continue
            batch.append((outcome.position, outcome.review))
            if len(batch) >= BATCH:
                _store_batch(batch, report, origin=origin, origin_label=origin_label, feed_id=feed_id)
                batch = []
        if progress is not None:
            progress(read)
    if batch:
        _store_batch(batch, report, origin=origin, origin_label=origin_label, feed_id=feed_id)
    if report.changed_ids:
        (embed or factchecks_embed)(report.changed_ids)
    if report.changed_ids:
        factchecks_library_grew(report.changed_ids)
    report.seconds = round(time.perf_counter() - started, 2)
    return report


def _store_batch(
    batch: list[tuple[str, ParsedReview]],
    report: ImportReport,
    *,
    origin: str,
    origin_label: str,
    feed_id: int | None,
) -> None:
    urls = [review.url for _, review in batch]
    with transaction.atomic():
        existing = {
            row.url: row
            for row in FactCheck.objects.select_for_update().filter(url__in=urls).defer("vectors")
        }
        new_rows: list[FactCheck] = []
        changed: list[FactCheck] = []
        for position, review in batch:
            digest = review.content_hash()
            row = existing.get(review.url)
            if row is None:
                new_rows.append(
                    FactCheck(
                        url=review.url,
                        origin=origin,
                        origin_label=origin_label[:300],
                        feed_id=feed_id,
                        content_hash=digest,
                        **{name: getattr(review, name) for name in _FIELDS},
                    )
                )
            elif row.origin == FactCheck.Origin.OUR_VERDICT:
                report.skipped.append(Skipped(position, f"{review.url} is one of our own verdicts"))
            elif row.content_hash == digest:
                report.unchanged += 1
            else:
                for name in _FIELDS:
                    setattr(row, name, getattr(review, name))
                row.content_hash = digest
                row.vectors = None  # the text may have changed: embedded again below
                row.origin, row.origin_label, row.feed_id = origin, origin_label[:300], feed_id
                changed.append(row)
        created = FactCheck.objects.bulk_create(new_rows)
        if changed:
            now = timezone.now()
            for row in changed:
                row.updated_at = now
            FactCheck.objects.bulk_update(
                changed,
                [*_FIELDS, "content_hash", "vectors", "origin", "origin_label", "feed_id", "updated_at"],
            )
    report.new += len(created)
    report.updated += len(changed)
    report.changed_ids += [row.pk for row in created] + [row.pk for row in changed]


# --- vectors -------------------------------------------------------------------------------------------


def vectors_to_bytes(statement: np.ndarray, headline: np.ndarray) -> bytes:
    return np.stack([statement, headline]).astype(np.float32).tobytes()


def vectors_from_bytes(data: bytes | memoryview | None) -> np.ndarray | None:
    if data is None:
        return None
    array = np.frombuffer(bytes(data), dtype=np.float32)
    return array.reshape(2, DIMENSIONS) if array.size == 2 * DIMENSIONS else None


def factchecks_embed(ids: Sequence[int]) -> int:
    """MiniLM vectors (claim, headline) for the entries among ids that have none. Returns how many."""
    from text.embeddings import encode, model_available

    if not ids or not model_available():
        return 0
    done = 0
    for start in range(0, len(ids), EMBED_BATCH * 8):
        rows = list(
            FactCheck.objects.filter(pk__in=ids[start : start + EMBED_BATCH * 8], vectors__isnull=True).only(
                "pk", "claim_reviewed", "headline"
            )
        )
        if not rows:
            continue
        statements = encode([row.claim_reviewed for row in rows], batch_size=16)
        headlines = encode([row.headline or row.claim_reviewed for row in rows], batch_size=16)
        now = timezone.now()
        for row, statement, headline in zip(rows, statements, headlines, strict=True):
            row.vectors = vectors_to_bytes(statement, headline)
            row.updated_at = now
        # updated_at moves too: it is what tells every process that its ranked library is stale.
        FactCheck.objects.bulk_update(rows, ["vectors", "updated_at"])
        done += len(rows)
    return done


# --- our own verdicts ----------------------------------------------------------------------------------


def our_review_url(claim_id: int) -> str:
    """Where our review of a claim lives: its page, under CLAIMREVIEW_ORGANIZATION_URL when set (the API
    makes a bare path absolute for the partner who reads it)."""
    path = reverse("claims:claim_detail", args=[claim_id])
    base = str(settings.CLAIMREVIEW_ORGANIZATION_URL or "").rstrip("/")
    return f"{base}{path}"


def factcheck_record_verdict(claim: Claim) -> FactCheck | None:
    """Keep the library entry of our verdict on a claim in step with the claim: written when it has a
    verdict, removed when it has none. Inside the caller's transaction."""
    if not claim.has_verdict:
        FactCheck.objects.filter(claim=claim).delete()
        return None
    rating = "Verified" if claim.status == Claim.Status.VERIFIED else "Disputed"
    values = {
        "url": our_review_url(claim.pk),
        "claim_reviewed": claim.text,
        "headline": "",
        "publisher_name": str(settings.CLAIMREVIEW_ORGANIZATION_NAME or "Fact-checking workbench"),
        "publisher_url": str(settings.CLAIMREVIEW_ORGANIZATION_URL or ""),
        "rating_name": claim.rating_label or rating,
        # schema.org's usual 1-5 scale, as our ClaimReview JSON-LD says it.
        "rating_value": 5.0 if claim.status == Claim.Status.VERIFIED else 1.0,
        "best_rating": 5.0,
        "worst_rating": 1.0,
        "language": claim.article.language if claim.article_id else "",
        "date_published": (claim.reviewed_at or timezone.now()).date(),
        "origin": FactCheck.Origin.OUR_VERDICT,
        "origin_label": "our verdict",
        "content_hash": "",
    }
    entry, created = FactCheck.objects.update_or_create(claim=claim, defaults=values)
    if created:
        from ..tasks import embed_fact_checks

        # The claim's text does not change with its verdict: vectors once, then matched to open claims.
        enqueue(embed_fact_checks, [entry.pk])
    return entry


# --- matching claims to the library --------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryIndex:
    """Every library entry held for ranking: texts as the evaluation indexes them, vectors, owners."""

    key: tuple
    ids: list[int]
    statements: list[str]
    statement_vectors: np.ndarray | None
    own_claim: dict[int, tuple[int, int]]  # corpus index -> (claim id, article id) for our verdicts
    index: VerifiedClaimIndex

    def __len__(self) -> int:
        return len(self.ids)


_library_lock = threading.Lock()
_library: LibraryIndex | None = None


def library_index_text(claim_reviewed: str, headline: str) -> str:
    """What BM25 indexes for an entry: the claim and the headline, as `evaluate claim-matching` does
    (claims.evaluation.claim_matching.corpus_text)."""
    return f"{claim_reviewed} {headline or ''}".strip()


def library_index() -> LibraryIndex:
    """The library as a claims.matching.VerifiedClaimIndex, rebuilt in this process only when an entry
    was added, changed or removed since (one aggregate query tells)."""
    global _library
    stats = FactCheck.objects.aggregate(n=Count("id"), changed=Max("updated_at"), last=Max("id"))
    key = (stats["n"], stats["changed"], stats["last"])
    with _library_lock:
        if _library is not None and _library.key == key:
            return _library
        rows = list(
            FactCheck.objects.order_by("id").values_list(
                "id", "claim_reviewed", "headline", "vectors", "claim_id", "claim__article_id"
            )
        )
        vectors = np.zeros((len(rows), 2, DIMENSIONS), dtype=np.float32)
        any_vectors = False
        for i, row in enumerate(rows):
            pair = vectors_from_bytes(row[3])
            if pair is not None:
                vectors[i] = pair
                any_vectors = True
        # Mean of the claim's and the headline's unit vectors: its dot product with a claim's vector
        # is the mean of the two cosines, as in the evaluation.
        corpus_vectors = vectors.mean(axis=1) if any_vectors else None
        _library = LibraryIndex(
            key=key,
            ids=[row[0] for row in rows],
            statements=[row[1] for row in rows],
            statement_vectors=vectors[:, 0, :] if any_vectors else None,
            own_claim={i: (row[4], row[5]) for i, row in enumerate(rows) if row[4] is not None},
            index=VerifiedClaimIndex(
                [library_index_text(row[1], row[2]) for row in rows], corpus_vectors=corpus_vectors
            ),
        )
        return _library


def library_candidates(
    text: str,
    *,
    vector: np.ndarray | None,
    library: LibraryIndex,
    claim_id: int | None = None,
    article_id: int | None = None,
) -> list[tuple[int, int, float]]:
    """(fact-check id, rank, similarity) of the best library entries for a text, best first; our own
    verdict on this claim, and on other claims of its article, left out."""
    excluded = frozenset(
        i
        for i, (owner, owner_article) in library.own_claim.items()
        if owner == claim_id or owner_article == article_id
    )
    found = fact_check_candidates(
        library.index,
        library.statements,
        library.statement_vectors,
        text,
        query_vector=vector,
        excluded=excluded,
    )
    return [(library.ids[i], rank, similarity) for i, rank, similarity in found]


def _claim_vectors(claims: list[Claim], vectors: dict[int, np.ndarray] | None) -> dict[int, np.ndarray]:
    """Vectors for claims: those the caller has, the database's (pgvector), the rest encoded at once."""
    from text.embeddings import encode, model_available

    known = dict(vectors or {})
    missing = [claim for claim in claims if claim.pk not in known]
    if missing:
        from .duplicates import _claim_vectors_enabled, _vectors_of

        if _claim_vectors_enabled():
            known.update(_vectors_of([claim.pk for claim in missing]))
            missing = [claim for claim in missing if claim.pk not in known]
    if missing and model_available():
        known.update(zip((c.pk for c in missing), encode([c.text for c in missing]), strict=True))
    return known


def claims_match_factchecks(
    claims: list[Claim],
    *,
    vectors: dict[int, np.ndarray] | None = None,
    only_fact_checks: set[int] | None = None,
) -> int:
    """Suggest library entries for claims: the FACT_CHECK_DEPTH best of the fused ranking whose
    similarity reaches FACT_CHECK_SUGGEST_THRESHOLD. `only_fact_checks` limits new suggestions to those
    entries (the library grew by them). Pairs seen before keep their row and any decision on it.
    Returns how many suggestions are new."""
    if not claims or not FactCheck.objects.exists():
        return 0
    library = library_index()
    claim_vectors = _claim_vectors(claims, vectors)
    rows = []
    for claim in claims:
        for fact_check_id, rank, similarity in library_candidates(
            claim.text,
            vector=claim_vectors.get(claim.pk),
            library=library,
            claim_id=claim.pk,
            article_id=claim.article_id,
        ):
            if similarity < FACT_CHECK_SUGGEST_THRESHOLD:
                continue
            if only_fact_checks is not None and fact_check_id not in only_fact_checks:
                continue
            rows.append(
                FactCheckMatch(
                    claim=claim, fact_check_id=fact_check_id, similarity=round(similarity, 4), rank=rank
                )
            )
    # Sorted, so two workers inserting overlapping pairs take index locks in one order.
    rows.sort(key=lambda row: (row.claim_id, row.fact_check_id))
    before = FactCheckMatch.objects.filter(claim__in=claims).count()
    FactCheckMatch.objects.bulk_create(rows, ignore_conflicts=True)
    return FactCheckMatch.objects.filter(claim__in=claims).count() - before


def factchecks_library_grew(ids: list[int]) -> None:
    """New or changed entries: open claims are matched against them on a worker, after commit."""
    from ..tasks import match_open_claims_to_fact_checks

    for start in range(0, len(ids), 2000):
        enqueue(match_open_claims_to_fact_checks, ids[start : start + 2000])


def open_claims_match_factchecks(*, fact_check_ids: list[int]) -> int:
    """Match the open claims (newest REMATCH_MAX_CLAIMS) against the library, keeping new suggestions
    to the given entries. Returns how many suggestions are new."""
    claims = list(
        Claim.objects.filter(status__in=OPEN_STATUSES)
        .only("pk", "text", "article_id")
        .order_by("-id")[:REMATCH_MAX_CLAIMS]
    )
    made = 0
    for start in range(0, len(claims), 200):
        made += claims_match_factchecks(claims[start : start + 200], only_fact_checks=set(fact_check_ids))
    return made


def factcheck_match_decide(
    *, match: FactCheckMatch, user: AbstractBaseUser, confirmed: bool
) -> FactCheckMatch:
    """A reviewer confirms or rejects a library match; who and when kept, and audited on the claim."""
    state = FactCheckMatch.State.CONFIRMED if confirmed else FactCheckMatch.State.REJECTED
    with transaction.atomic():
        before = match.state
        FactCheckMatch.objects.filter(pk=match.pk).update(
            state=state, decided_by=user, decided_at=timezone.now()
        )
        claim_record_event(
            claim=match.claim,
            kind="fact_check_confirmed" if confirmed else "fact_check_rejected",
            actor=user,
            before={"state": before},
            after={
                "fact_check": match.fact_check_id,
                "url": match.fact_check.url,
                "state": state,
                "similarity": match.similarity,
            },
        )
    match.refresh_from_db()
    return match


# --- registered ClaimReview feeds ----------------------------------------------------------------------

# What a publisher's ClaimReview feed may be served as: JSON (a DataFeed, a list, JSON Lines) or a page
# with ld+json blocks. The JSON types are opt-in at the fetcher: never accepted as a source page.
CLAIMREVIEW_FEED_TYPES = (
    "application/json",
    "application/ld+json",
    "application/x-ndjson",
    "text/plain",
    "text/html",
    "application/xhtml+xml",
)
# Skipped items kept on the feed for the editor to read in the admin.
FEED_SKIPS_KEPT = 20


def claimreview_feeds_lease_due() -> list[int]:
    """Active feeds whose interval has passed, each leased by moving `last_fetched_at` forward with a
    conditional UPDATE, so overlapping beat ticks never fetch one feed twice."""
    now = timezone.now()
    due = (
        ClaimReviewFeed.objects.filter(active=True)
        .annotate(due_at=F("last_fetched_at") + F("interval"))
        .filter(Q(last_fetched_at__isnull=True) | Q(due_at__lte=now))
    )
    leased = []
    for feed_id, last in due.values_list("id", "last_fetched_at"):
        if ClaimReviewFeed.objects.filter(pk=feed_id, last_fetched_at=last).update(last_fetched_at=now) == 1:
            leased.append(feed_id)
    return leased


def claimreview_feed_fetch(feed_id: int) -> ImportReport | None:
    """Fetch one feed (conditional GET through the safe fetcher) and import what it carries with the
    code `import_factchecks` runs. None when the server said not modified or the fetch failed (the
    error is stored on the feed). No transaction is open while the fetch waits on the network."""
    from sources.fetching import fetch
    from sources.http import HttpError

    feed = ClaimReviewFeed.objects.get(pk=feed_id)
    now = timezone.now()
    try:
        result = fetch(
            feed.url,
            etag=feed.etag or None,
            last_modified=feed.last_modified or None,
            accept=CLAIMREVIEW_FEED_TYPES,
        )
    except HttpError as exc:
        ClaimReviewFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now, last_error=exc.message[:2000])
        if not exc.permanent:
            raise  # the task retries transient failures with backoff
        return None
    validators = {"etag": (result.etag or "")[:500], "last_modified": (result.last_modified or "")[:100]}
    if result.not_modified:
        ClaimReviewFeed.objects.filter(pk=feed.pk).update(last_fetched_at=now, last_error="", **validators)
        return None
    report = factchecks_import(
        outcomes=read_claim_reviews(result.text),
        origin=FactCheck.Origin.FEED,
        origin_label=(feed.title or feed.url)[:300],
        feed_id=feed.pk,
    )
    skips = [{"position": s.position, "reason": s.reason} for s in report.skipped[:FEED_SKIPS_KEPT]]
    ClaimReviewFeed.objects.filter(pk=feed.pk).update(
        last_fetched_at=now,
        last_error="",
        last_counts={**report.counts(), "skipped_items": skips},
        **validators,
    )
    return report
