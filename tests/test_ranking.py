"""Ranking primitives, claim matching and the evidence / claim-matching evaluations on tiny files.

Pure functions: no database. The evaluations run with whatever embedding model is installed (vectors are
cached under .var/cache, so a second run is fast); their assertions hold either way.
"""

import json
import random
from pathlib import Path

import numpy as np
import pytest

from claims.evaluation import claim_matching, embedding_cache, evidence
from claims.matching import (
    AUTO_LINK_THRESHOLD,
    MIN_WORDS_FOR_AUTO_LINK,
    SUGGEST_THRESHOLD,
    claim_similarity,
    link_decision,
    rank_verified_claims,
    trigram_similarity,
)
from text.ranking import (
    bm25_scores,
    hybrid_rank,
    reciprocal_rank_fusion,
    rerank,
    rerank_features,
    tokenize,
)


@pytest.fixture(autouse=True)
def _private_vector_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Evaluations cache vectors on disk; tests keep theirs out of the project's .var/cache."""
    monkeypatch.setattr(embedding_cache, "CACHE_DIR", tmp_path / "vector-cache")


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def test_it_tokenizes_with_stemming_numbers_and_no_stopwords() -> None:
    tokens = tokenize("The rates increased to 18,000 in 2019, and were increasing.")
    assert tokens == ["rate", "increas", "18000", "2019", "increas"]


def test_it_fuses_ranks_with_reciprocal_rank_arithmetic() -> None:
    fused = reciprocal_rank_fusion([[3, 1, 2], [1, 4]], k=60)
    scores = dict(fused)
    assert scores[1] == pytest.approx(1 / 62 + 1 / 61)
    assert scores[3] == pytest.approx(1 / 61)
    assert scores[4] == pytest.approx(1 / 62)
    assert scores[2] == pytest.approx(1 / 63)
    assert [item for item, _ in fused] == [1, 3, 4, 2]


def test_it_breaks_fusion_ties_by_smaller_id() -> None:
    assert [item for item, _ in reciprocal_rank_fusion([[7, 5], [5, 7]])] == [5, 7]


def test_it_prefers_the_passage_with_the_rare_term_in_bm25() -> None:
    docs = [
        "the council met on tuesday to discuss the budget",
        "the council met on tuesday to discuss the budget and the desalination plant",
        "the council met again on thursday about the budget",
        "the budget was discussed by the council",
    ]
    scores = bm25_scores(tokenize("council budget desalination"), [tokenize(d) for d in docs])
    assert int(np.argmax(scores)) == 1
    assert scores[1] > 2 * min(scores[0], scores[2], scores[3])  # the rare term dominates


def test_it_uses_supplied_idf_instead_of_the_candidates_own() -> None:
    docs = [tokenize("wind power output"), tokenize("solar power output")]
    local = bm25_scores(tokenize("wind solar"), docs)
    assert local[0] == pytest.approx(local[1])
    corpus_idf = {"wind": 5.0, "solar": 0.5}
    weighted = bm25_scores(tokenize("wind solar"), docs, idf=corpus_idf)
    assert weighted[0] > weighted[1]


def test_it_reads_number_entity_and_year_agreement() -> None:
    claim = "Ontario lost 18,000 jobs in 2019."
    agreeing = rerank_features(claim, "Statistics Canada said Ontario shed 18,048 jobs in 2019.")
    assert agreeing["numbers_same"] == 1.0 and agreeing["years_match"] == 1.0
    assert agreeing["entity_coverage"] == 1.0 and agreeing["numbers_conflict"] == 0.0
    differing = rerank_features(claim, "Ontario lost 42,000 jobs in 2016.")
    assert differing["numbers_conflict"] == 1.0 and differing["years_conflict"] == 1.0


def test_it_boosts_a_passage_with_the_same_number_in_rerank() -> None:
    claim = "The city hired 240 new nurses last year."
    candidates = [("The city hired new nurses last year.", 0.0320), ("The city hired 240 nurses.", 0.0318)]
    scores = rerank(claim, candidates)
    assert scores[1] > scores[0]  # the same number outweighs a slightly better fused rank
    assert rerank(claim, candidates, weights={}) == [0.0320, 0.0318]


def test_it_ranks_the_matching_passage_first_in_hybrid_rank_without_vectors() -> None:
    passages = [
        "Tickets for the concert sold out in minutes.",
        "The river flooded the lower town twice this spring.",
        "Unemployment in the province fell to 5.1% in March, the lowest since 2008.",
    ]
    vectors = np.eye(3, 8, dtype=np.float32)
    claim_vector = np.zeros(8, dtype=np.float32)  # no dense signal: lexical + rerank decide
    order = hybrid_rank(
        "Provincial unemployment fell to 5.1% in March.",
        passages,
        passage_vectors=vectors,
        claim_vector=claim_vector,
    )
    assert order[0] == 2 and sorted(order) == [0, 1, 2]


def test_it_scores_trigram_similarity_like_pg_trgm() -> None:
    assert trigram_similarity("word", "word") == 1.0
    assert trigram_similarity("word", "") == 0.0
    # pg_trgm: similarity('word', 'two words') = 0.36363637 (4 shared of 11 trigrams)
    assert trigram_similarity("word", "two words") == pytest.approx(4 / 11)


def test_it_links_only_long_near_identical_claims_automatically() -> None:
    assert 0 < SUGGEST_THRESHOLD < AUTO_LINK_THRESHOLD < 1
    long_claim = "The mayor said the city will hire 240 new nurses before the end of next year."
    unit = np.ones(4, dtype=np.float32) / 2
    same = claim_similarity(long_claim, long_claim, va=unit, vb=unit)
    assert same == pytest.approx(1.0)
    assert link_decision(long_claim, long_claim, same) == "auto"
    short = "Prices rose."
    assert len(short.split()) < MIN_WORDS_FOR_AUTO_LINK
    assert link_decision(short, short, 1.0) == "suggest"
    assert link_decision(long_claim, "Tickets sold out.", 0.1) is None


def test_it_ranks_the_verified_claim_sharing_rare_terms_first() -> None:
    corpus = [
        "A photograph shows a shark swimming on a flooded highway in Houston.",
        "The president signed an order banning flavoured e-cigarettes.",
        "Drinking hot water cures the coronavirus.",
    ]
    order = rank_verified_claims("LOOK a shark on the highway in Houston after the hurricane!!", corpus)
    assert order[0] == 0 and sorted(order) == [0, 1, 2]


WICE_ROWS = [
    {
        "label": "supported",
        "supporting_sentences": [[2], [2, 3]],
        "claim": "The bridge opened in 1932 and carries 160,000 vehicles a day.",
        "evidence": [
            "Skip to content",
            "Visitor information and opening hours.",
            "The bridge was opened in 1932 after eight years of construction.",
            "Today it carries about 160,000 vehicles a day.",
            "Contact us",
        ],
        "meta": {"id": "t1"},
    },
    {
        "label": "not_supported",
        "supporting_sentences": [],
        "claim": "The festival drew 2 million visitors.",
        "evidence": ["The festival takes place every August.", "Tickets are sold online."],
        "meta": {"id": "t2"},
    },
]


def test_it_evaluates_evidence_retrieval_on_wice_rows(tmp_path: Path) -> None:
    dataset = write_jsonl(tmp_path / "wice.jsonl", WICE_ROWS)
    out = tmp_path / "pred.jsonl"
    result = evidence.evaluate(dataset, predictions=out)
    assert result["rows"] == 2 and result["rows_with_gold"] == 1
    for name in ("recall_at_5", "recall_at_10", "mrr"):
        assert 0.0 <= result[name] <= 1.0 and 0.0 <= result["baseline"][name] <= 1.0
    assert result["recall_at_5"] == 1.0  # both gold sentences fit in the top 5 of 5
    assert result["mrr"] == 1.0
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(lines) == 2
    assert sorted(lines[0]["ranked"]) == [0, 1, 2, 3, 4] and sorted(lines[1]["ranked"]) == [0, 1]


def test_it_evaluates_evidence_on_climate_fever_claims_without_reading_labels(tmp_path: Path) -> None:
    labels = ["SUPPORTS", "NOT_ENOUGH_INFO", "REFUTES", "NOT_ENOUGH_INFO", "NOT_ENOUGH_INFO"]
    sentences = [
        "Sea level rose about 20 cm over the 20th century.",
        "Glaciers are large bodies of ice.",
        "Some claim sea level has not risen at all.",
        "The ocean covers most of the planet.",
        "Tides are caused by the moon.",
    ]

    def rows(order: list[str]) -> list[dict]:
        evidences = [
            {"evidence_id": f"e{i}", "evidence": text, "evidence_label": label}
            for i, (text, label) in enumerate(zip(sentences, order, strict=True))
        ]
        return [
            {"claim_id": "1", "claim": "Sea level rose 20 cm in the last century.", "evidences": evidences}
        ]

    shuffled = labels[:]
    random.Random(3).shuffle(shuffled)
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    result = evidence.evaluate(write_jsonl(tmp_path / "cf1.jsonl", rows(labels)), predictions=first)
    evidence.evaluate(write_jsonl(tmp_path / "cf2.jsonl", rows(shuffled)), predictions=second)
    assert first.read_text() == second.read_text()
    assert result["rows_with_gold"] == 1 and result["candidates_per_row"] == 5


def test_it_evaluates_claim_matching_with_a_corpus_beside_the_queries(tmp_path: Path) -> None:
    corpus = [
        {
            "vclaim_id": "10",
            "vclaim": "A shark swam on a flooded Houston highway.",
            "title": "Highway Shark?",
        },
        {"vclaim_id": "11", "vclaim": "Hot water cures the coronavirus.", "title": "Hot Water Cure?"},
        {"vclaim_id": "12", "vclaim": "The moon landing was staged.", "title": "Moon Landing Hoax?"},
    ]
    write_jsonl(tmp_path / "verified_claims.jsonl", corpus)
    queries = [
        {
            "tweet_id": "1",
            "tweet": "shark on the highway in Houston!! @someone",
            "relevant_vclaim_ids": ["10"],
        },
        {
            "tweet_id": "2",
            "tweet": "drink hot water, it kills the coronavirus",
            "relevant_vclaim_ids": ["11"],
        },
    ]
    out_a, out_b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    result = claim_matching.evaluate(write_jsonl(tmp_path / "q.jsonl", queries), predictions=out_a)
    assert result["p_at_1"] == 1.0 and result["map_at_5"] == 1.0 and result["corpus_size"] == 3
    assert result["baseline"]["name"] == "BM25"
    relabelled = [dict(q, relevant_vclaim_ids=["12"]) for q in queries]
    other = claim_matching.evaluate(write_jsonl(tmp_path / "q2.jsonl", relabelled), predictions=out_b)
    assert out_a.read_text() == out_b.read_text() and other["p_at_1"] == 0.0
    lines = [json.loads(line) for line in out_a.read_text().splitlines()]
    assert [line["ranked"][0] for line in lines] == ["10", "11"]
