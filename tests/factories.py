"""ORM factories for tests that need articles, claims and evidence without running the pipeline.

Two kinds: bare rows for the API and service tests (make_article, make_claim, make_evidence), and rows
the reviewer pages show as a reader would see them (make_article_with_sentences splits the text into
Sentence rows, make_sentence_claim puts a claim on one of them, make_snapshot / make_snapshot_evidence
quote a stored page)."""

import hashlib
import itertools
from datetime import date
from itertools import count

from django.utils import timezone

from claims.models import Article, Claim, ClaimEvent, Evidence, Sentence
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


# --- rows for the reviewer pages ------------------------------------------------------------------

_serial = count(1)

ARTICLE_TEXT = (
    "Riverton Opens New Bridge\n\n"
    "The Riverton bridge cost $48 million, up from an estimate of $31 million in 2019, the city "
    "auditor said. It carries 18,000 vehicles a day. I think it looks lovely at night.\n\n"
    "Ridership on the new tram line rose 12% last year, according to the transit agency."
)
SOURCE_TEXT = (
    "Audit report on the Riverton bridge.\n\n"
    "The final cost of the bridge was $48 million, against an estimate of $31 million made in 2019. "
    "Traffic counts show about 18,048 vehicles a day cross it.\n\n"
    "The auditor recommends publishing cost overruns quarterly."
)


def make_article_with_sentences(
    *, text: str = ARTICLE_TEXT, title: str = "", user=None, status: str = "done"
) -> Article:
    """A processed article with one Sentence per sentence (split on '. ' and line breaks)."""
    article = Article.objects.create(
        input_kind=Article.InputKind.TEXT,
        submitted_body=text,
        text=text,
        title=title or text.split("\n", 1)[0],
        language="en",
        status=status,
        submitted_by=user,
        progress=[{"step": "queued", "message": "Waiting for a worker.", "at": "2025-01-01T00:00:00"}],
    )
    position, start = 0, 0
    for paragraph in text.split("\n\n"):
        offset = text.index(paragraph, start)
        cursor = offset
        for piece in paragraph.replace(". ", ".\x00").split("\x00"):
            begin = text.index(piece, cursor)
            Sentence.objects.create(
                article=article,
                position=position,
                start=begin,
                end=begin + len(piece),
                text=piece,
                score=0.2,
                features={},
                reasons=[],
            )
            position += 1
            cursor = begin + len(piece)
        start = offset + len(paragraph)
    return article


def make_sentence_claim(
    article: Article, sentence_text: str | None = None, *, score: float = 0.8, **fields
) -> Claim:
    """A claim on an existing sentence of the article (the first one containing `sentence_text`)."""
    sentences = article.sentences.order_by("position")
    sentence = sentences.filter(text__contains=sentence_text).first() if sentence_text else sentences.last()
    assert sentence is not None, sentence_text
    claim = Claim.objects.create(
        article=article,
        sentence=sentence,
        text=sentence.text,
        start=sentence.start,
        end=sentence.end,
        score=score,
        reasons=["contains a number", "attributed to a source"],
        fingerprint=fingerprint(sentence.text),
        **fields,
    )
    ClaimEvent.objects.create(claim=claim, actor_label="pipeline", kind="created", after={"score": score})
    return claim


def make_bare_claim(article: Article, text: str, *, score: float = 0.5) -> Claim:
    """A claim without a sentence (many of them for query-count tests); offsets stay unique."""
    n = next(_serial)
    return Claim.objects.create(
        article=article,
        text=text,
        start=10_000 + 2 * n,
        end=10_001 + 2 * n,
        score=score,
        fingerprint=fingerprint(f"{text} {n}"),
    )


def make_snapshot(*, url: str = "", text: str = SOURCE_TEXT) -> Snapshot:
    n = next(_serial)
    source = Source.objects.create(
        url=url or f"https://audit.example.org/report-{n}",
        domain="audit.example.org",
        status="ok",
        last_fetched_at=timezone.now(),
    )
    snapshot = Snapshot.objects.create(
        source=source,
        fetched_at=timezone.now(),
        http_status=200,
        content_type="text/html",
        raw_body=Snapshot.compress(b"<html><script>alert(1)</script></html>"),
        text=text,
        title="Audit report",
        content_hash=hashlib.sha256(f"{text}{n}".encode()).hexdigest(),
    )
    Source.objects.filter(pk=source.pk).update(current_snapshot=snapshot)
    return snapshot


def make_snapshot_evidence(
    claim: Claim, snapshot: Snapshot | None = None, *, passage_text: str = "", **fields
) -> Evidence:
    """Evidence quoting `passage_text` (by default the snapshot's second paragraph)."""
    snapshot = snapshot or make_snapshot()
    passage_text = passage_text or snapshot.text.split("\n\n")[1]
    start = snapshot.text.index(passage_text)
    position = Passage.objects.filter(snapshot=snapshot).count()
    passage = Passage.objects.create(
        snapshot=snapshot, position=position, start=start, end=start + len(passage_text), text=passage_text
    )
    defaults = {
        "score": 0.91,
        "suggested_stance": "supports",
        "stance_reason": "numbers agree: 18,000 vs 18,048",
    }
    return Evidence.objects.create(claim=claim, passage=passage, snapshot=snapshot, **(defaults | fields))
