"""Sources to evidence: snapshots, passages, hybrid search, stance, duplicates — on the real database.

`make test` runs this file twice: on the main test database (in CI the machine's PostgreSQL 15,
without pgvector: full-text only) and on an embedded PostgreSQL with pgvector, with
REQUIRE_PGVECTOR=1 so the vector path cannot silently fall back.
"""

import io
import json
import os

import pytest
from django.core.management import call_command

from claims.models import Article, Claim, ClaimLink, Evidence
from claims.services.duplicates import claim_find_duplicates
from claims.services.evidence import claim_find_evidence
from sources.extraction import ExtractedDocument
from sources.models import Passage, Snapshot, Source, TermStat
from sources.passages import snapshot_index, vectors_enabled
from sources.search import search_passages
from sources.services import SourceError, snapshot_record, source_fetch, source_get_or_create

REQUIRE_PGVECTOR = os.environ.get("REQUIRE_PGVECTOR") == "1"

BORDER_REPORT = (
    "The Canada Border Services Agency removed 18,048 people in the last fiscal year, its annual "
    "report shows. Removals reached their highest level in a decade in 2024.\n\n"
    "The agency said it expects to remove about 20,000 people a year over the next two years. "
    "Officials cited staffing increases at regional enforcement centres."
)
WEATHER_REPORT = (
    "Heavy rain is expected across the coast on Thursday. Forecasters warned of flooding near "
    "rivers and advised drivers to avoid low-lying roads.\n\nTemperatures will stay mild."
)
SPORTS_REPORT = (
    "The home side won the final 3-1 after extra time. The captain scored twice in the second half "
    "and the stadium was full for the first time since 2019."
)


def stored_snapshot(url: str, text: str) -> Snapshot:
    source = source_get_or_create(url=url)
    document = ExtractedDocument(text=text, title=url, language="en")
    snapshot, _ = snapshot_record(source=source, result=None, document=document, raw_body=text.encode())
    snapshot_index(snapshot)
    return snapshot


def article_with_claim(text: str, url: str = "") -> Claim:
    article = Article.objects.create(input_kind="text", submitted_body=text, text=text, status="done")
    return Claim.objects.create(
        article=article, text=text, start=0, end=len(text), score=0.9, fingerprint=str(article.pk)
    )


@pytest.fixture
def corpus(db):
    return [
        stored_snapshot("https://border.example/report", BORDER_REPORT),
        stored_snapshot("https://weather.example/today", WEATHER_REPORT),
        stored_snapshot("https://sport.example/final", SPORTS_REPORT),
    ]


def test_it_uses_pgvector_where_the_test_run_requires_it(db):
    if REQUIRE_PGVECTOR:
        assert vectors_enabled(), "this run is on PostgreSQL with pgvector: vectors must be on"
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'vector'")
        has_extension = cursor.fetchone()[0] == 1
    assert vectors_enabled() == has_extension


def test_it_cuts_passages_with_exact_offsets_and_indexes_them(corpus):
    snapshot = corpus[0]
    passages = list(Passage.objects.filter(snapshot=snapshot).order_by("position"))
    assert len(passages) >= 3
    for passage in passages:
        assert snapshot.text[passage.start : passage.end] == passage.text
        assert passage.search_vector
    assert TermStat.objects.get(term="").ndoc == Passage.objects.count()
    assert snapshot_index(snapshot) == 0  # indexing again changes nothing


def test_it_stores_identical_content_once(corpus):
    source = Source.objects.get(url="https://border.example/report")
    document = ExtractedDocument(text=BORDER_REPORT, title="again", language="en")
    snapshot, created = snapshot_record(source=source, result=None, document=document, raw_body=b"x")
    assert not created and snapshot == corpus[0]
    assert Snapshot.objects.filter(source=source).count() == 1


def test_it_finds_the_passage_that_bears_on_a_claim(corpus):
    hits = search_passages("The CBSA aims to increase deportations from 18,000 to 20,000 a year.")
    assert hits
    best = Passage.objects.get(pk=hits[0].passage_id)
    assert best.snapshot == corpus[0]
    if vectors_enabled():
        assert any(hit.vector_rank is not None for hit in hits)


def test_it_creates_evidence_with_a_stance_reason(corpus):
    claim = article_with_claim(
        "Canada's border agency removed 18,048 people last fiscal year, a decade high."
    )
    outcome = claim_find_evidence(claim)

    assert outcome.created >= 1
    evidence = Evidence.objects.filter(claim=claim).select_related("passage").first()
    assert evidence.snapshot_id == evidence.passage.snapshot_id == corpus[0].pk
    assert "18,048" in evidence.passage.text
    assert evidence.stance_reason
    assert claim_find_evidence(claim).created == 0  # idempotent


def test_it_gives_a_claim_with_no_usable_terms_a_reason(corpus):
    claim = article_with_claim("It is what it is, and that is that.")
    outcome = claim_find_evidence(claim)
    claim.refresh_from_db()
    assert outcome.created == 0, "vector neighbours always exist; the relevance gate keeps them out"
    assert "No stored" in claim.evidence_note


def test_it_stores_no_filler_for_a_claim_nothing_bears_on(corpus):
    claim = article_with_claim("Bus ridership in Harbour City rose to 41 million trips in 2024.")

    outcome = claim_find_evidence(claim)

    claim.refresh_from_db()
    assert outcome.created == 0 and not claim.evidence.exists()
    assert claim.evidence_note  # the claim page says why, instead of showing filler


def test_it_keeps_one_card_per_snapshot(db):
    report = stored_snapshot(
        "https://border.example/annual",
        "The agency removed 18,048 people in the last fiscal year. Removals of 18,048 people were a decade "
        "high. The 18,048 removals in the last fiscal year included 81 per cent failed refugee claimants. "
        "Officials said the agency removed 18,048 people last fiscal year.",
    )
    claim = article_with_claim("The border agency removed 18,048 people in the last fiscal year.")

    claim_find_evidence(claim)
    claim_find_evidence(claim)  # again: the snapshot already has its card

    assert Passage.objects.filter(snapshot=report).count() > 1, "several windows match"
    assert Evidence.objects.filter(claim=claim, snapshot=report).count() == 1


def test_the_database_refuses_a_second_open_card_from_one_snapshot(db):
    """Two workers matching one claim at once both pass the code's check; the constraint stops the second."""
    from django.db import IntegrityError, transaction

    report = stored_snapshot(
        "https://border.example/twice",
        "The agency removed 18,048 people in the last fiscal year. Officials said 18,048 were removed.",
    )
    claim = article_with_claim("The border agency removed 18,048 people in the last fiscal year.")
    first, second = Passage.objects.filter(snapshot=report).order_by("position")[:2]
    Evidence.objects.create(claim=claim, passage=first, snapshot=report, score=1.0)

    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=claim, passage=second, snapshot=report, score=0.9)
    # A bulk insert that loses the race adds nothing, and raises nothing.
    Evidence.objects.bulk_create(
        [Evidence(claim=claim, passage=second, snapshot=report, score=0.9)], ignore_conflicts=True
    )
    assert Evidence.objects.filter(claim=claim, snapshot=report).count() == 1


def test_it_never_makes_an_article_evidence_for_itself(db):
    text = "The agency removed 18,048 people in the last fiscal year, its annual report shows."
    own = stored_snapshot("https://border.example/story", text + " Critics were unconvinced.")
    article = Article.objects.create(
        input_kind="url", url="https://border.example/story", text=text, status="done", source=own.source
    )
    claim = Claim.objects.create(
        article=article, text=text, start=0, end=len(text), score=0.9, fingerprint="own"
    )
    alias = Article.objects.create(
        input_kind="text", text=text, status="done", canonical_url="https://border.example/story"
    )
    alias_claim = Claim.objects.create(
        article=alias, text=text, start=0, end=len(text), score=0.9, fingerprint="alias"
    )

    claim_find_evidence(claim)
    claim_find_evidence(alias_claim)

    assert not Evidence.objects.filter(snapshot=own).exists()


def test_it_links_near_duplicate_claims_across_articles(db):
    first = article_with_claim(
        "The city council approved a budget of 53 million dollars for public transit this year."
    )
    second = article_with_claim(
        "The city council approved a budget of 53 million dollars for public transit this year!"
    )
    unrelated = article_with_claim("Heavy rain is expected across the coast on Thursday night.")

    assert claim_find_duplicates(second) == 1
    link = ClaimLink.objects.get(claim=second, other=first)
    assert link.state == ClaimLink.State.CONFIRMED  # long and near-identical: auto-linked
    assert ClaimLink.objects.filter(claim=first, other=second).exists()
    assert not ClaimLink.objects.filter(claim=unrelated).exists()


def test_it_only_suggests_links_between_short_claims(db):
    first = article_with_claim("Prices rose sharply in May.")
    second = article_with_claim("Prices rose sharply in May!")
    claim_find_duplicates(second)
    assert ClaimLink.objects.get(claim=second, other=first).state == ClaimLink.State.SUGGESTED


@pytest.fixture
def local_fetching(settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0
    settings.FETCH_MAX_BYTES = 200_000
    return settings


def test_it_follows_an_articles_links_to_evidence(transactional_db, local_server, local_fetching):
    local_server.route("/report", body=f"<html><body><article><p>{BORDER_REPORT}</p></article></body></html>")
    local_server.route(
        "/story",
        body=(
            "<html><head><title>Deportations rise</title></head><body><article>"
            "<p>The CBSA removed 18,048 people in the last fiscal year, the highest level in a decade, "
            f"according to its <a href='{local_server.url('/report')}'>annual report</a>.</p>"
            "</article></body></html>"
        ),
    )
    out = io.StringIO()
    call_command("ingest", "--url", local_server.url("/story"), "--wait", "--json", stdout=out)
    result = json.loads(out.getvalue())

    assert result["article"]["status"] == "done"
    claim = next(c for c in result["claims"] if "18,048" in c["text"])
    urls = {e["source_url"] for e in claim["evidence"]}
    assert local_server.url("/report") in urls


@pytest.mark.parametrize(
    ("route", "expected"),
    [
        ({"body": b"\x00\x01binary" * 100, "content_type": "application/octet-stream"}, "not a web page"),
        ({"body": "<p>" + "x " * 150_000 + "</p>"}, "larger than"),
        ({"body": "<html><body></body></html>"}, "no main text"),
        ({"status": 404, "body": "gone"}, "404"),
    ],
)
def test_it_stores_a_clear_error_on_a_bad_source(db, local_server, local_fetching, route, expected):
    local_server.route("/bad", **route)
    source = source_get_or_create(url=local_server.url("/bad"))
    with pytest.raises(SourceError):
        source_fetch(source=source)
    source.refresh_from_db()
    assert source.status in {Source.Status.ERROR, Source.Status.BLOCKED}
    assert expected in source.last_error.lower() or expected in source.last_error
    assert not Snapshot.objects.filter(source=source).exists()


def test_it_stores_a_clear_error_on_a_redirect_loop(db, local_server, local_fetching):
    local_server.route("/a", status=302, redirect=local_server.url("/b"))
    local_server.route("/b", status=302, redirect=local_server.url("/a"))
    source = source_get_or_create(url=local_server.url("/a"))
    with pytest.raises(SourceError):
        source_fetch(source=source)
    source.refresh_from_db()
    assert "redirect" in source.last_error.lower()


def test_it_refuses_a_private_source(db, settings):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = []
    source = source_get_or_create(url="http://127.0.0.1:9/internal")
    with pytest.raises(SourceError):
        source_fetch(source=source)
    source.refresh_from_db()
    assert source.status == Source.Status.BLOCKED


def test_it_suggests_stances_from_an_articles_own_sources(transactional_db, local_server, local_fetching):
    """The evidence issue's acceptance case: a local article whose links point to local sources."""
    local_server.route(
        "/agrees",
        body="<html><body><article><p>The Canada Border Services Agency removed 18,048 people in the "
        "last fiscal year, its annual report shows.</p></article></body></html>",
    )
    local_server.route(
        "/differs",
        body="<html><body><article><p>The Canada Border Services Agency removed 12,500 people in the "
        "last fiscal year, according to figures released by the opposition.</p></article></body></html>",
    )
    local_server.route(
        "/story",
        body=(
            "<html><head><title>Removals</title></head><body><article>"
            "<p>The CBSA removed about 18,000 people in the last fiscal year, a decade high, according "
            f"to <a href='{local_server.url('/agrees')}'>its report</a> "
            f"(<a href='{local_server.url('/differs')}'>critics disagree</a>).</p>"
            "</article></body></html>"
        ),
    )
    out = io.StringIO()
    call_command("ingest", "--url", local_server.url("/story"), "--wait", "--json", stdout=out)
    claim = next(c for c in json.loads(out.getvalue())["claims"] if "18,000" in c["text"])

    by_source = {e["source_url"]: e for e in claim["evidence"]}
    agrees, differs = by_source[local_server.url("/agrees")], by_source[local_server.url("/differs")]
    assert agrees["stance"] == "supports"
    assert agrees["stance_reason"].startswith("numbers agree: 18,000 vs 18,048")
    assert differs["stance"] == "refutes"
    assert "numbers differ" in differs["stance_reason"] and "12,500" in differs["stance_reason"]
