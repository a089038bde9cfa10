"""Evidence for claims: link sources to claims, retrieve passages, re-rank them, suggest a stance, store
Evidence rows; and the reviewer's decision on a piece of evidence.

Idempotent: Evidence is unique per (claim, passage), so running this twice for a claim, or for a
claim and a new snapshot, adds only what is new and never touches rows a reviewer has decided on.
"""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from factcheck.queueing import enqueue
from sources.models import Passage, Snapshot, Source
from sources.passages import vectors_enabled
from sources.search import search_passages
from sources.services import source_get_or_create
from text.ranking import rerank, tokenize

from ..errors import ReviewError
from ..models import Article, Claim, ClaimSource, Evidence, Stance
from ..selectors.common import ARTICLE_HEAVY_FIELDS
from ..stance import suggest_stances
from .claims import claim_record_event

# Candidates fetched from the index before re-ranking, and how many become Evidence rows.
RETRIEVE = 30
KEEP = 5
# Claims a new snapshot is matched against besides those linked to its source: open ones, and
# verdicts recent enough that a new source contradicting them should reach a reviewer. Bounded so
# one snapshot costs bounded work.
REMATCH_LIMIT = 200
REMATCH_VERDICT_DAYS = 30
# The relevance gate: a passage becomes evidence only if it plausibly bears on the claim. Fitted by
# bench/fit_relevance_gate.py on WiCE dev supporting sentences and Climate-FEVER dev SUPPORTS/REFUTES
# evidence (2,853 positives) against sentences of other claims' pages (4,532 negatives), each the
# threshold that best separates the two while keeping at least 80 % of the positives. With
# embeddings the cosine decides (0.307 keeps 86.6 % of positives, 13.3 % of unrelated sentences);
# without pgvector, the share of the claim's content words (numbers aside) in the passage (0.059,
# about one shared word of a typical claim: 87.5 % and 14.1 %).
MIN_SIMILARITY = 0.307
MIN_COVERAGE = 0.059


def _words(text: str) -> set[str]:
    # Numbers and years are left to the stance step: "2024" alone does not put a page on topic.
    return {term for term in tokenize(text) if not any(ch.isdigit() for ch in term)}


def claim_coverage(claim: str, passage: str) -> float:
    """The share of the claim's (stemmed) content words, numbers aside, that the passage contains."""
    claim_terms = _words(claim)
    return len(claim_terms & _words(passage)) / len(claim_terms) if claim_terms else 0.0


def bears_on(claim: str, passage: str, *, similarity: float | None) -> bool:
    if similarity is not None:
        return similarity >= MIN_SIMILARITY
    return claim_coverage(claim, passage) >= MIN_COVERAGE


@dataclass(frozen=True)
class EvidenceOutcome:
    created: int
    reason: str  # why nothing was found, shown on the claim when created == 0


def claim_find_evidence(
    claim: Claim,
    *,
    snapshot_ids: list[int] | None = None,
    origin: str = Evidence.Origin.MACHINE,
    vector: np.ndarray | None = None,
    own_sources: set[int] | None = None,
) -> EvidenceOutcome:
    """Retrieve, re-rank and store evidence. `vector`: the claim's embedding if the caller has it;
    otherwise the stored one is used (so matching many claims never re-encodes them).
    `own_sources`: article_own_sources() of the claim's article, when the caller matches many of
    its claims (computed here otherwise)."""
    if vector is None and vectors_enabled():
        vector = _stored_vector(claim)
    hits = search_passages(claim.text, limit=RETRIEVE, snapshot_ids=snapshot_ids, vector=vector)
    if not hits:
        outcome = EvidenceOutcome(0, "No stored source passage shares enough terms with this claim.")
        _note_if_empty(claim, outcome.reason)
        return outcome
    if own_sources is None:
        own_sources = article_own_sources(claim.article)
    passages = Passage.objects.in_bulk([hit.passage_id for hit in hits])
    snapshot_ids = {passage.snapshot_id for passage in passages.values()}
    source_of = dict(Snapshot.objects.filter(pk__in=snapshot_ids).values_list("id", "source_id"))
    candidates = [
        (passage, hit.score)
        for hit in hits
        if (passage := passages.get(hit.passage_id)) and source_of.get(passage.snapshot_id) not in own_sources
    ]
    scores = rerank(claim.text, [(passage.text, fused) for passage, fused in candidates])
    ranked = sorted(zip(candidates, scores, strict=True), key=lambda item: -item[1])
    similarities = _cosines(claim, [passage.pk for (passage, _), _ in ranked])
    # One card per snapshot: its best window (the page shows the neighbouring text around it), and
    # none from a snapshot this claim already has evidence from, whoever decided on that row.
    taken = set(Evidence.objects.filter(claim=claim).values_list("snapshot_id", flat=True))
    chosen = []
    for (passage, _), score in ranked:
        if len(chosen) == KEEP or passage.snapshot_id in taken:
            continue
        similarity = similarities.get(passage.pk)
        if not bears_on(claim.text, passage.text, similarity=similarity):
            continue
        taken.add(passage.snapshot_id)
        chosen.append((passage, score, similarity))
    if not chosen:
        reason = "No stored passage bears on this claim yet."
        _note_if_empty(claim, reason)  # only stored while the claim has no evidence at all
        return EvidenceOutcome(0, reason)

    # The stance model reads only passages that passed the gate, in one batch per claim.
    stances = suggest_stances([(claim.text, passage.text, similarity) for passage, _, similarity in chosen])
    new_rows = []
    for (passage, score, _), (stance, reason) in zip(chosen, stances, strict=True):
        new_rows.append(
            Evidence(
                claim=claim,
                passage=passage,
                snapshot_id=passage.snapshot_id,
                score=round(float(score), 5),
                origin=origin,
                suggested_stance=stance,
                stance_reason=reason[:300],
            )
        )
    # One INSERT; ON CONFLICT DO NOTHING covers another worker adding the same pair meanwhile, and
    # passage order (not rank order) makes two such inserts for one claim take their locks alike.
    new_rows.sort(key=lambda row: row.passage_id)
    Evidence.objects.bulk_create(new_rows, ignore_conflicts=True)
    created = len(new_rows)
    if created:
        Claim.objects.filter(pk=claim.pk).exclude(evidence_note="").update(evidence_note="")
    return EvidenceOutcome(created, "" if created else "The best passages were already evidence.")


def snapshot_find_evidence(*, snapshot_id: int) -> int:
    """Match a newly indexed snapshot against the claims it may bear on. Returns rows added.

    First every claim linked to the snapshot's source (the article's own links, sources reviewers
    and partners added), then open and recently decided claims by retrieval. Never a claim of the
    article this page is (its own text is no evidence for it). Idempotent: see claim_find_evidence.
    """
    snapshot = (
        Snapshot.objects.select_related("source")
        .only("id", "source__id", "source__origin")
        .get(pk=snapshot_id)
    )
    source = snapshot.source
    not_own_article = ~Q(article__source_id=source.pk)
    claims = Claim.objects.select_related("article").defer(*ARTICLE_HEAVY_FIELDS)
    linked = list(
        claims.filter(not_own_article, source_links__source_id=source.pk)
        .exclude(status=Claim.Status.DISMISSED)
        .order_by("id")
    )
    recent = timezone.now() - timedelta(days=REMATCH_VERDICT_DAYS)
    others = (
        claims.filter(not_own_article)
        .filter(
            Q(status__in=[Claim.Status.UNREVIEWED, Claim.Status.IN_REVIEW])
            | Q(status__in=[Claim.Status.VERIFIED, Claim.Status.DISPUTED], reviewed_at__gte=recent)
        )
        .exclude(pk__in=[claim.pk for claim in linked])
        .order_by("-updated_at")[:REMATCH_LIMIT]
    )
    found_by_feed = []
    added = 0
    own_by_article: dict[int, set[int]] = {}
    for claim in [*linked, *others]:
        if claim.article_id not in own_by_article:
            own_by_article[claim.article_id] = article_own_sources(claim.article)
        if source.pk in own_by_article[claim.article_id]:
            continue  # this page is the claim's own article under another address
        created = claim_find_evidence(
            claim, snapshot_ids=[snapshot_id], own_sources=own_by_article[claim.article_id]
        ).created
        added += created
        if created and source.origin == Source.Origin.FEED:
            found_by_feed.append(claim)
    ClaimSource.objects.filter(source=source, claim__in=linked).update(matched_at=timezone.now())
    # A feed item that bears on a claim becomes one of its sources: re-checks and the claim page
    # then treat it like a source someone added.
    ClaimSource.objects.bulk_create(
        [
            ClaimSource(claim=claim, source=source, origin=ClaimSource.Origin.FEED, added_by_label="feed")
            for claim in found_by_feed
        ],
        ignore_conflicts=True,
    )
    return added


def article_own_sources(article: Article) -> set[int]:
    """The sources that are this article itself: its fetched page, and any source registered under
    its URL, its canonical URL or the address its URL redirected to (no page is evidence for itself).
    One indexed lookup by URL; computed once per article by callers that match many claims."""
    from sources.services import normalise_url

    own = {article.source_id} if article.source_id else set()
    addresses = [article.url, article.canonical_url]
    if article.snapshot_id:
        addresses.append(
            Snapshot.objects.filter(pk=article.snapshot_id).values_list("final_url", flat=True).first()
        )
    urls = {normalise_url(url) for url in addresses if url}
    if urls:
        own |= set(Source.objects.filter(url__in=urls).values_list("id", flat=True))
    return own


def _stored_vector(claim: Claim) -> np.ndarray | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT embedding::text FROM claims_claim WHERE id = %s", [claim.pk])
        row = cursor.fetchone()
    if row is None or row[0] is None:
        return None
    return np.array(row[0].strip("[]").split(","), dtype=np.float32)


def _cosines(claim: Claim, passage_ids: list[int]) -> dict[int, float]:
    """Cosine similarity of the claim's stored embedding to each passage's, where both exist.

    The stance rules judge relatedness far better with it (macro-F1 0.43 vs 0.37 on term overlap).
    """
    if not passage_ids or not vectors_enabled():
        return {}
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.id, 1 - (p.embedding <=> c.embedding) FROM sources_passage p, claims_claim c "
            "WHERE c.id = %s AND p.id = ANY(%s) AND p.embedding IS NOT NULL AND c.embedding IS NOT NULL",
            [claim.pk, passage_ids],
        )
        return {pk: float(cosine) for pk, cosine in cursor.fetchall()}


def _note_if_empty(claim: Claim, reason: str) -> None:
    """Store why a claim has no evidence, so the reviewer sees a reason rather than a blank."""
    # One statement: "has no evidence" is checked inside the UPDATE.
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET evidence_note = %s WHERE id = %s AND evidence_note <> %s "
            "AND NOT EXISTS (SELECT 1 FROM claims_evidence WHERE claim_id = %s)",
            [reason[:300], claim.pk, reason[:300], claim.pk],
        )


def claims_link_sources(
    *,
    claims: list[Claim],
    sources: list[Any],
    origin: str,
    user: AbstractBaseUser | None = None,
    label: str = "",
) -> int:
    """Record that these sources should be read for these claims. Returns how many links are new.

    One INSERT; a pair linked before (by anyone, with any origin) keeps its first origin.
    """
    rows = [
        ClaimSource(claim=claim, source=source, origin=origin, added_by=user, added_by_label=label[:200])
        for claim in claims
        for source in sources
    ]
    # Sorted by (claim, source): concurrent inserts take their index locks in one order.
    rows.sort(key=lambda row: (row.claim.pk, row.source.pk))
    return len(ClaimSource.objects.bulk_create(rows, ignore_conflicts=True))


def claim_add_source(
    *, claim: Claim, url: str, user: AbstractBaseUser | None = None, actor_label: str = ""
) -> Source:
    """Register a URL as a source for this claim and queue it; its passages are matched on arrival."""
    from urllib.parse import urlsplit

    from sources.tasks import fetch_source

    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ReviewError("Enter a full web address starting with http:// or https://.")
    by_reviewer = user is not None
    with transaction.atomic():
        source = source_get_or_create(
            url=url, origin=Source.Origin.REVIEWER if by_reviewer else Source.Origin.PARTNER
        )
        claims_link_sources(
            claims=[claim],
            sources=[source],
            origin=ClaimSource.Origin.REVIEWER if by_reviewer else ClaimSource.Origin.PARTNER,
            user=user,
            label=actor_label,
        )
        claim_record_event(
            claim=claim, kind="source_added", actor=user, actor_label=actor_label,
            after={"source": source.pk, "url": source.url},
        )  # fmt: skip
        enqueue(fetch_source, source.pk)
    return source


def evidence_decide(
    *,
    evidence: Evidence,
    user: AbstractBaseUser,
    confirmed: bool,
    stance: str = "",
) -> Evidence:
    """Confirm (optionally with a corrected stance) or reject a piece of evidence."""
    if stance and stance not in Stance.values:
        raise ReviewError(f"Unknown stance {stance!r}.")
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        before = {"confirmed": evidence.is_confirmed, "rejected": evidence.is_rejected,
                  "stance": evidence.confirmed_stance}  # fmt: skip
        evidence.is_confirmed, evidence.is_rejected = confirmed, not confirmed
        evidence.confirmed_stance = (stance or evidence.suggested_stance) if confirmed else ""
        evidence.decided_by, evidence.decided_at = user, timezone.now()
        evidence.save(
            update_fields=["is_confirmed", "is_rejected", "confirmed_stance", "decided_by", "decided_at"]
        )
        claim_record_event(
            claim=evidence.claim,
            kind="evidence_confirmed" if confirmed else "evidence_rejected",
            actor=user,
            before=before,
            after={
                "evidence": evidence.pk,
                "snapshot": evidence.snapshot_id,
                "stance": evidence.confirmed_stance,
            },  # fmt: skip
        )
    return evidence
