"""Claims matched to the fact-check library: at creation, when the library grows, in the API's search;
reviewers confirm or reject a match (audited). Distractor reviews on other topics never appear."""

import io
import json

import pytest
from django.core.management import call_command

from claims.models import Claim, ClaimEvent, FactCheck, FactCheckMatch
from claims.services.factchecks import factcheck_match_decide
from tests.factories import auth, make_partner, submitted_by
from tests.test_factcheck_import import BUS_REVIEW, MOON_REVIEW, VACCINE_REVIEW, three_shapes_file

ARTICLE = (
    "Transit row in Riverton\n\n"
    "Riverton halved the number of city buses in 2023, Councillor Day said on Monday. "
    "The harbour tunnel carried 31,000 cars a day in 2025, according to the roads agency. "
    "Officials said the new ferry terminal will cost $45 million and open in 2027."
)


def ingest_text(tmp_path, text: str = ARTICLE) -> dict:
    path = tmp_path / "article.txt"
    path.write_text(text, encoding="utf-8")
    out = io.StringIO()
    call_command("ingest", "--text-file", str(path), "--wait", "--json", stdout=out)
    return json.loads(out.getvalue())


def import_file(path) -> None:
    call_command("import_factchecks", str(path), stdout=io.StringIO())


def bus_claim(result: dict) -> dict:
    return next(claim for claim in result["claims"] if "city buses" in claim["text"])


@pytest.mark.django_db(transaction=True)
def test_it_suggests_the_review_of_a_reworded_claim_and_no_distractor(tmp_path):
    import_file(three_shapes_file(tmp_path))

    result = ingest_text(tmp_path)

    claim = bus_claim(result)
    assert [fc["url"] for fc in claim["fact_checks"]] == [BUS_REVIEW["url"]]
    found = claim["fact_checks"][0]
    assert found["state"] == "suggested"
    assert found["publisher"]["name"] == "Harbour Checkers"
    assert found["rating"]["text"] == "False"
    assert found["similarity"] >= 0.46
    others = [fc["url"] for c in result["claims"] for fc in c["fact_checks"] if c is not claim]
    assert others == []
    assert not FactCheckMatch.objects.filter(fact_check__url__in=[MOON_REVIEW["url"], VACCINE_REVIEW["url"]])


@pytest.mark.django_db(transaction=True)
def test_it_matches_open_claims_when_the_library_grows(tmp_path):
    result = ingest_text(tmp_path)
    assert bus_claim(result)["fact_checks"] == []

    import_file(three_shapes_file(tmp_path))  # the matching task runs eagerly here, on a worker in use

    matches = FactCheckMatch.objects.filter(claim_id=bus_claim(result)["id"])
    assert [m.fact_check.url for m in matches] == [BUS_REVIEW["url"]]
    assert FactCheckMatch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_verdict_of_ours_is_found_for_the_same_claim_in_another_article(tmp_path, reviewer):
    from claims.services.claims import claim_set_verdict

    first = Claim.objects.get(pk=bus_claim(ingest_text(tmp_path))["id"])
    claim_set_verdict(
        claim=first, user=reviewer, status=Claim.Status.DISPUTED, rationale="Fleet records show 212 buses.",
        expected_version=first.version,
    )  # fmt: skip

    again = ingest_text(tmp_path, ARTICLE.replace("Transit row", "Second story") + " More text follows here.")

    matched = bus_claim(again)["fact_checks"]
    assert [fc["origin"] for fc in matched] == ["our_verdict"]
    assert matched[0]["our_claim"] == first.pk
    assert matched[0]["rating"]["text"] == "Disputed"
    # Never the claim's own verdict, nor one from its own article.
    assert not FactCheckMatch.objects.filter(claim=first).exists()


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_confirms_or_rejects_a_match_and_it_is_audited(tmp_path, reviewer):
    import_file(three_shapes_file(tmp_path))
    claim_id = bus_claim(ingest_text(tmp_path))["id"]
    match = FactCheckMatch.objects.get(claim_id=claim_id)

    factcheck_match_decide(match=match, user=reviewer, confirmed=True)

    match.refresh_from_db()
    assert (match.state, match.decided_by, match.decided_at is not None) == ("confirmed", reviewer, True)
    event = ClaimEvent.objects.get(claim_id=claim_id, kind="fact_check_confirmed")
    assert event.actor == reviewer and event.after["url"] == BUS_REVIEW["url"]

    factcheck_match_decide(match=match, user=reviewer, confirmed=False)

    assert FactCheckMatch.objects.get(pk=match.pk).state == "rejected"
    assert ClaimEvent.objects.filter(claim_id=claim_id, kind="fact_check_rejected").count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_api_lists_fact_checks_on_a_claim_and_in_search(tmp_path, client):
    import_file(three_shapes_file(tmp_path))
    result = ingest_text(tmp_path)
    partner, key = make_partner("Harbour Gazette")
    from claims.models import Article

    submitted_by(partner, Article.objects.get(pk=result["article"]["id"]))

    detail = client.get(f"/api/v1/claims/{bus_claim(result)['id']}/", headers=auth(key)).json()
    search = client.get(
        "/api/v1/claims/search/", {"q": "Riverton cut its bus fleet in half in 2023"}, headers=auth(key)
    ).json()
    unrelated = client.get(
        "/api/v1/claims/search/", {"q": "Ferry fares rise in May"}, headers=auth(key)
    ).json()

    (fact_check,) = detail["fact_checks"]
    assert fact_check["state"] == "suggested"
    assert fact_check["review"]["url"] == BUS_REVIEW["url"]
    assert fact_check["review"]["publisher"] == {
        "name": "Harbour Checkers",
        "url": "https://checkers.example/",
    }
    assert fact_check["review"]["rating"]["text"] == "False"
    assert [entry["url"] for entry in search["fact_checks"]] == [BUS_REVIEW["url"]]
    assert search["fact_checks"][0]["similarity"] >= 0.46
    assert unrelated["fact_checks"] == []
    assert FactCheck.objects.count() == 3


@pytest.mark.django_db
def test_the_library_ranks_a_clef_sample_exactly_as_evaluate_claim_matching_does(tmp_path, shared_dir):
    """The same code: the demo library built from a slice of the shared verified claims, and
    `evaluate claim-matching` on the same slice, give every query the same top five."""
    from claims.demo_library import seed_demo_library
    from claims.evaluation import claim_matching
    from claims.services.factchecks import library_candidates, library_index
    from text.embeddings import encode

    data = shared_dir / "data" / "claim_matching"
    queries = [json.loads(line) for line in open(data / "queries_dev.jsonl", encoding="utf-8")][:25]
    wanted = {vid for row in queries for vid in row["relevant_vclaim_ids"]}
    rows = [json.loads(line) for line in open(data / "verified_claims.jsonl", encoding="utf-8")]
    corpus = [row for i, row in enumerate(rows) if row["vclaim_id"] in wanted or i % 100 == 0]
    (tmp_path / "verified_claims.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (tmp_path / "queries.jsonl").write_text("".join(json.dumps(q) + "\n" for q in queries))

    report = seed_demo_library(tmp_path / "verified_claims.jsonl")
    predictions = tmp_path / "predictions.jsonl"
    evaluated = claim_matching.evaluate(tmp_path / "queries.jsonl", predictions=predictions)

    assert report.new == len(corpus) == FactCheck.objects.count()
    vclaim_of = {pk: url.rsplit("-", 1)[-1] for pk, url in FactCheck.objects.values_list("pk", "url")}
    library = library_index()
    vectors = encode([q["tweet"] for q in queries])
    ours = [
        [vclaim_of[pk] for pk, _, _ in library_candidates(q["tweet"], vector=vectors[i], library=library)]
        for i, q in enumerate(queries)
    ]
    theirs = [json.loads(line)["ranked"][:5] for line in predictions.read_text().splitlines()]
    assert ours == theirs
    golds = [set(q["relevant_vclaim_ids"]) for q in queries]
    assert claim_matching.score(ours, golds)["map_at_5"] == evaluated["map_at_5"]
    assert evaluated["map_at_5"] > evaluated["baseline"]["map_at_5"]  # and it beats BM25 on the slice


@pytest.mark.django_db
def test_the_ranked_library_is_rebuilt_when_an_entry_gets_its_vectors():
    from claims.services.factchecks import factchecks_embed, library_index

    entry = FactCheck.objects.create(
        url="https://x.example/r",
        claim_reviewed="Riverton cut its city bus fleet by half in 2023.",
        origin="import",
    )
    before = library_index()
    assert before.statement_vectors is None

    factchecks_embed([entry.pk])

    after = library_index()
    assert after is not before and after.statement_vectors is not None and after.statement_vectors[0].any()
