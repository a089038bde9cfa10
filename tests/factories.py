"""Small ORM factories for tests that need articles, claims and evidence without running the pipeline."""

import hashlib
import itertools
from datetime import date

from django.utils import timezone

from claims.models import Article, Claim, Evidence
from claims.services.claims import fingerprint
from partners.models import Partner, PartnerSubmission
from partners.services import api_key_create
from sources.models import Passage, Snapshot, Source

_counter = itertools.count(1)


def make_article(
    *,
    title: str = "Council budget story",
    url: str = "",
    text: str = "",
    published_on: date | None = None,
    status: str = Article.Status.DONE,
) -> Article:
    n = next(_counter)
    return Article.objects.create(
        input_kind=Article.InputKind.URL if url else Article.InputKind.TEXT,
        url=url,
        title=title,
        text=text or f"Article {n} text.",
        published_on=published_on,
        status=status,
        progress=[{"step": "done", "message": "Finished.", "at": timezone.now().isoformat()}],
    )


def make_claim(
    article: Article,
    text: str = "Unemployment fell to 4.1% in March.",
    *,
    status: str = Claim.Status.UNREVIEWED,
    rationale: str = "",
    rating_label: str = "",
    reviewed_by=None,  # a user
) -> Claim:
    start = next(_counter) * 1000
    has_verdict = status in (Claim.Status.VERIFIED, Claim.Status.DISPUTED)
    return Claim.objects.create(
        article=article,
        text=text,
        start=start,
        end=start + len(text),
        score=0.8,
        fingerprint=fingerprint(text),
        status=status,
        rationale=rationale or ("Checked against the statistics office release." if has_verdict else ""),
        rating_label=rating_label,
        reviewed_by=reviewed_by,
        reviewed_at=timezone.now() if has_verdict else None,
    )


def make_evidence(
    claim: Claim,
    *,
    passage_text: str = "The statistics office reported unemployment of 4.1% for March.",
    source_url: str = "https://stats.example.org/release",
    stance: str = "supports",
    confirmed: bool = False,
    rejected: bool = False,
) -> Evidence:
    source, _ = Source.objects.get_or_create(
        url=source_url, defaults={"domain": source_url.split("/")[2], "status": Source.Status.OK}
    )
    text = f"Intro. {passage_text} Outro."
    snapshot = Snapshot.objects.create(
        source=source,
        fetched_at=timezone.now(),
        final_url=source_url,
        http_status=200,
        content_type="text/html",
        raw_body=Snapshot.compress(text.encode()),
        text=text,
        content_hash=hashlib.sha256(f"{text}{next(_counter)}".encode()).hexdigest(),
    )
    start = text.index(passage_text)
    passage = Passage.objects.create(
        snapshot=snapshot, position=0, start=start, end=start + len(passage_text), text=passage_text
    )
    return Evidence.objects.create(
        claim=claim,
        passage=passage,
        snapshot=snapshot,
        score=0.9,
        suggested_stance=stance,
        stance_reason="numbers agree: 4.1% vs 4.1%",
        confirmed_stance=stance if confirmed else "",
        is_confirmed=confirmed,
        is_rejected=rejected,
    )


def make_partner(
    name: str = "Harbour Gazette", scopes: tuple[str, ...] = ("read", "submit")
) -> tuple[Partner, str]:
    """A partner with one key; returns the partner and the key as the partner would send it."""
    partner = Partner.objects.create(name=name)
    _, raw_key = api_key_create(partner=partner, scopes=list(scopes))
    return partner, raw_key


def submitted_by(partner: Partner, article: Article) -> Article:
    PartnerSubmission.objects.create(partner=partner, article=article)
    return article


def auth(raw_key: str) -> dict[str, str]:
    return {"Authorization": f"Api-Key {raw_key}"}
