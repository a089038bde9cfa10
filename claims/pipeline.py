"""The article pipeline: fetch → extract → split → score → claims.

Each step is a plain function on an article id, safe to run twice: a retried or redelivered task finds
the work done (or the unique constraints refuse duplicates) and changes nothing twice. The Celery
tasks in `claims.tasks` call these, on a worker or, for `manage.py ingest --wait`, eagerly in the
command's own process (factcheck/queueing.py): one path either way.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import numpy as np
from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from claims.services.articles import article_fail, article_finish, article_set_status
from claims.services.claims import claim_record_event, fingerprint
from claims.services.duplicates import claim_find_duplicates, claims_embed
from claims.services.evidence import article_own_sources, claim_find_evidence, claims_link_sources
from claims.services.factchecks import claims_match_factchecks
from factcheck.locks import LockBusy, is_locked, renewed_lock
from factcheck.queueing import enqueue
from sources.extraction import ExtractedDocument, clean_pasted_text, detect_language, extract_html
from sources.models import Source
from sources.services import SourceError, source_fetch, source_get_or_create
from sources.tasks import fetch_source
from text.quantities import extract_dates, extract_entities, extract_quantities
from text.sentences import split_sentences

from .checkworthiness import CLAIM_THRESHOLD, claims_to_pick, score_sentences, triage_priority
from .models import Article, Claim, ClaimEvent, ClaimSource, Sentence

logger = logging.getLogger(__name__)

SCORED_LANGUAGES = {"en"}
# The article lock lives this long unless its holder renews it, which a live holder does every
# LOCK_RENEW_SECONDS: a worker killed mid-run frees its articles within half a minute.
LOCK_SECONDS = 30
LOCK_RENEW_SECONDS = 10


class ArticleBusy(Exception):
    """Another worker is processing this article right now."""


def lock_key(article_id: int) -> str:
    return f"pipeline:article:{article_id}"


@contextmanager
def article_lock(article_id: int) -> Iterator[None]:
    """One pipeline run per article at a time, across all workers (factcheck/locks.py). Nobody
    holding it means nobody is working on the article: the stalled-work sweep relies on that."""
    try:
        with renewed_lock(lock_key(article_id), ttl=LOCK_SECONDS, renew_every=LOCK_RENEW_SECONDS):
            yield
    except LockBusy:
        raise ArticleBusy(article_id) from None


def article_is_locked(article_id: int) -> bool:
    return is_locked(lock_key(article_id))


class ArticleKillsWorkers(Exception):
    """Runs of this article keep dying with their worker process (out of memory, hard time limit)."""


# Runs of one article that may die with their worker before the article is failed rather than
# handed to yet another worker (tasks are re-queued when their worker is lost).
MAX_WORKER_DEATHS = 3


@contextmanager
def worker_deaths_counted(article_id: int) -> Iterator[None]:
    """Count a run as unfinished until it ends, however it ends, unless its process dies with it.

    The counter goes up when a run starts and down when it leaves this block (returning or raising),
    so what is left counts the runs that died with their worker.
    """
    key = f"pipeline:unfinished:{article_id}"
    cache.add(key, 0, timeout=24 * 3600)
    if cache.incr(key) > MAX_WORKER_DEATHS + 1:
        raise ArticleKillsWorkers(article_id)
    try:
        yield
    finally:
        try:
            cache.decr(key)
        except (RedisConnectionError, RedisTimeoutError, ValueError):  # ValueError: the key expired
            pass


def article_fetch(article_id: int) -> bool:
    """Fetch a URL article and store its main text. Returns False when the article failed.

    Raises SourceError for transient failures so the task can retry; permanent ones are stored.
    """
    article = Article.objects.get(pk=article_id)
    if article.input_kind != Article.InputKind.URL or article.snapshot_id:
        return article.status != Article.Status.FAILED
    article_set_status(article, Article.Status.FETCHING, f"Fetching {article.url}")
    source = source_get_or_create(url=article.url, origin=Source.Origin.ARTICLE)
    try:
        outcome = source_fetch(source=source)
    except SourceError as exc:
        if exc.permanent:
            article_fail(article, f"Could not fetch the article: {exc.message}")
            return False
        article_set_status(article, Article.Status.FETCHING, f"Will retry: {exc.message}")
        raise
    document = outcome.document
    if document is None:  # 304: we already hold this page's text
        snapshot = outcome.snapshot
        document = ExtractedDocument(
            text=snapshot.text,
            title=snapshot.title,
            byline="",
            published=snapshot.published_on,
            site_name="",
            canonical_url="",
            language=snapshot.language,
            links=[],
            extractor="snapshot",
        )
    _store_document(article, document)
    article.source = source
    article.snapshot = outcome.snapshot
    article.save(update_fields=["source", "snapshot", "updated_at"])
    return True


def _store_document(article: Article, document: ExtractedDocument) -> None:
    if len(document.text) > _max_chars():
        article_set_status(
            article,
            article.status,
            f"The text is {len(document.text):,} characters long; "
            f"only the first {_max_chars():,} are checked.",
        )
    article.text = document.text[: _max_chars()]
    article.title = article.title or document.title[:1000]
    article.byline = document.byline[:500]
    article.site_name = document.site_name[:300]
    article.canonical_url = document.canonical_url[:2000]
    article.published_on = document.published
    article.language = document.language or detect_language(document.text)
    article.outbound_links = document.links
    article.save(
        update_fields=[
            "text",
            "title",
            "byline",
            "site_name",
            "canonical_url",
            "published_on",
            "language",
            "outbound_links",
            "updated_at",
        ]
    )


def _max_chars() -> int:
    return settings.PIPELINE_MAX_TEXT_CHARS


def article_analyse(article_id: int) -> None:
    """Extract (for pasted text / HTML), split, score and create claims; mark the article done."""
    article = Article.objects.get(pk=article_id)
    if article.status in {Article.Status.DONE, Article.Status.FAILED}:
        return
    if not article.text:
        article_set_status(article, Article.Status.EXTRACTING, "Extracting the main text.")
        if article.input_kind == Article.InputKind.HTML:
            document = extract_html(article.submitted_body, url=article.url or None)
        else:
            document = clean_pasted_text(article.submitted_body)
        if not document.text.strip():
            article_fail(article, "No article text was found in what was submitted.")
            return
        _store_document(article, document)

    if article.language and article.language not in SCORED_LANGUAGES:
        article_finish(
            article,
            f"The article is in '{article.language}'; claim scoring is English-only, "
            "so no claims were picked. Reviewers can still read it.",
        )
        return

    article_set_status(article, Article.Status.SCORING, "Splitting sentences and scoring them.")
    picked = _create_sentences_and_claims(article)
    notes = []
    if picked.repeats:
        notes.append(f"{picked.repeats} repeated sentences counted once")
    if picked.over_cap:
        notes.append(
            f"{picked.over_cap} more over the threshold left as sentences (at most {picked.cap} claims "
            "for this article, the highest scored; a reviewer can promote any of them)"
        )
    article_set_status(
        article,
        Article.Status.MATCHING,
        f"{article.sentences.count()} sentences scored; {picked.created} new claims picked "
        f"(threshold {CLAIM_THRESHOLD:.2f})"
        + (f"; {'; '.join(notes)}" if notes else "")
        + ". Looking for evidence.",
    )
    article_match(article, known_vectors=picked.vectors)


def article_match(article: Article, *, known_vectors: dict[int, np.ndarray] | None = None) -> None:
    """Look for evidence among stored passages now, and send the article's own links for fetching.

    Each claim is linked to the pages its article links to (ClaimSource), so whenever one of those
    pages is indexed, on a worker or in `ingest --wait`, its passages are matched to these claims.
    """
    claims = list(article.claims.all())
    links = [link for link in article.outbound_links if link != article.url]
    sources = [
        source_get_or_create(url=link, origin=Source.Origin.ARTICLE_LINK)
        for link in links[: settings.PIPELINE_MAX_LINKS_PER_ARTICLE]
    ]
    claims_link_sources(
        claims=claims, sources=sources, origin=ClaimSource.Origin.ARTICLE_LINK, label="pipeline"
    )
    vectors = claims_embed(claims, known=known_vectors)
    own = article_own_sources(article)
    found = 0
    for claim in claims:
        # One short transaction per claim: its evidence and its duplicate links. Articles of one
        # story are matched at the same moment on other workers; one long transaction for the whole
        # article held locks on every link row long enough for them to deadlock each other.
        with transaction.atomic():
            found += claim_find_evidence(claim, vector=vectors.get(claim.pk), own_sources=own).created
            claim_find_duplicates(claim, vector=vectors.get(claim.pk))
    # Published fact-checks of the same claims (the library), ranked as claim matching is evaluated.
    reviewed = claims_match_factchecks(claims, vectors=vectors or known_vectors)
    checked = f"; {reviewed} published fact-checks suggested" if reviewed else ""
    linked = f"; {len(sources)} linked pages sent for reading, their evidence follows." if sources else "."
    article_finish(article, f"{found} evidence passages found among stored sources{checked}{linked}")
    for source in sources:
        enqueue(fetch_source, source.pk)


@dataclass(frozen=True)
class PickedClaims:
    created: int
    repeats: int  # sentences over the threshold that repeat an earlier one of the same article
    over_cap: int  # distinct sentences over the threshold beyond the cap
    cap: int = 0  # at most this many claims: half the article's sentences, or the configured maximum
    vectors: dict[int, np.ndarray] = field(default_factory=dict)  # claim id -> its sentence's embedding


@transaction.atomic
def _create_sentences_and_claims(article: Article) -> PickedClaims:
    """All sentences with their scores, and a claim for each one over the threshold, in one go.

    A sentence repeated within the article (same words) becomes one claim, and an article yields at
    most PIPELINE_MAX_CLAIMS_PER_ARTICLE claims: a pasted page of repeated text must not flood the
    review queue, nor run the matching into its time limit. Nor may an ordinary article: at most
    half its sentences become claims by default (claims_to_pick), in triage order (triage_priority)."""
    if article.sentences.exists():  # a retried run: the scoring already committed
        return PickedClaims(0, 0, 0)
    spans = split_sentences(article.text)
    scores = score_sentences([span.text for span in spans])
    sentences = Sentence.objects.bulk_create(
        Sentence(
            article=article,
            position=i,
            start=span.start,
            end=span.end,
            text=span.text,
            score=round(result.score, 4),
            features=result.features,
            reasons=result.reasons,
        )
        for i, (span, result) in enumerate(zip(spans, scores, strict=True))
    )
    # The sentences were new a moment ago in this transaction, so none of them has a claim yet:
    # two bulk inserts instead of a get_or_create per claim (the unique span constraint still holds).
    over_threshold = [sentence for sentence in sentences if sentence.score >= CLAIM_THRESHOLD]
    distinct: dict[str, Sentence] = {}
    for sentence in over_threshold:
        distinct.setdefault(fingerprint(sentence.text), sentence)
    cap = min(settings.PIPELINE_MAX_CLAIMS_PER_ARTICLE, claims_to_pick(len(sentences)))
    chosen = sorted(distinct.values(), key=lambda s: -triage_priority(s.score, s.features))[:cap]
    claims = Claim.objects.bulk_create(
        _claim_for(sentence) for sentence in sorted(chosen, key=lambda s: s.position)
    )
    ClaimEvent.objects.bulk_create(
        ClaimEvent(
            claim=claim,
            actor_label="pipeline",
            kind="created",
            after={"score": claim.score, "reasons": claim.reasons},
            note="picked by the check-worthiness scorer",
        )
        for claim in claims
    )
    by_position = {
        sentence.position: result.vector for sentence, result in zip(sentences, scores, strict=True)
    }
    vectors = {
        claim.pk: by_position[claim.sentence.position]
        for claim in claims
        if by_position.get(claim.sentence.position) is not None
    }
    return PickedClaims(
        len(claims),
        len(over_threshold) - len(distinct),
        max(0, len(distinct) - cap),
        cap=cap,
        vectors=vectors,
    )


def _claim_for(sentence: Sentence, *, promoted_by=None) -> Claim:
    return Claim(
        article_id=sentence.article_id,
        sentence=sentence,
        start=sentence.start,
        end=sentence.end,
        text=sentence.text,
        score=sentence.score,
        features=sentence.features,
        reasons=sentence.reasons,
        quantities=extract_quantities(sentence.text),
        dates=extract_dates(sentence.text),
        entities=extract_entities(sentence.text),
        fingerprint=fingerprint(sentence.text),
        promoted_by=promoted_by,
    )


def claim_from_sentence(sentence: Sentence, *, promoted_by=None) -> tuple[Claim, bool]:
    """Create the claim for a sentence (idempotent on the article + span unique constraint)."""
    draft = _claim_for(sentence, promoted_by=promoted_by)
    defaults = {
        f.attname: getattr(draft, f.attname) for f in Claim._meta.concrete_fields if not f.primary_key
    }
    claim, created = Claim.objects.get_or_create(
        article_id=sentence.article_id, start=sentence.start, end=sentence.end, defaults=defaults
    )
    if created:
        claim_record_event(
            claim=claim,
            kind="created",
            actor=promoted_by,
            actor_label="" if promoted_by else "pipeline",
            after={"score": claim.score, "reasons": claim.reasons},
            note="promoted by a reviewer" if promoted_by else "picked by the check-worthiness scorer",
        )
    return claim, created
