"""Evidence retrieval: rank a claim's candidate sentences so the ones that bear on it come first.

Two formats are read, detected per row from its *input* fields:

- WiCE (`verification/wice_dev.jsonl`): a claim and EVERY sentence of the web page it cites
  (`evidence`, ~120 on average); gold `supporting_sentences` is a list of alternative index sets, and a
  row's gold set is their union.
- Climate-FEVER claims (`verification/climate_fever_dev_claims.jsonl`): a claim and its 5 `evidences`
  (dicts with `evidence`); gold = the evidences labelled SUPPORTS or REFUTES. With 5 candidates,
  recall@5 and recall@10 are 1.0 by construction: MRR and recall@1 are the informative numbers there.

Ours is the hybrid of `text.ranking.hybrid_rank` (for a page's sentences in order, WiCE, with the
extra BM25 ranking of each sentence with its neighbours); BM25 alone and embeddings alone over single
sentences are measured in the same run. Every row is ranked before any label is read.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from claims.evaluation.embedding_cache import cached_encode
from claims.evaluation.scoring import (
    dataset_name,
    mean,
    ratios,
    read_rows,
    recall_at,
    reciprocal_rank,
    rounded,
    write_predictions,
)
from text.ranking import BM25Index, dense_order, hybrid_rank, order_by, tokenize

METRICS = ("recall_at_5", "recall_at_10", "mrr", "recall_at_1")
GOLD_EVIDENCE_LABELS = {"SUPPORTS", "REFUTES"}


@dataclass(frozen=True)
class EvidenceInput:
    claim: str
    sentences: list[str]
    contiguous: bool  # a page's sentences in order (WiCE), not separate snippets (Climate-FEVER)


def row_input(row: dict[str, Any]) -> EvidenceInput:
    """The part of a row a system may see: the claim and its candidate sentences (no labels)."""
    claim = row["claim"]
    if isinstance(row.get("evidences"), list):
        sentences = [evidence["evidence"] for evidence in row["evidences"]]
    elif isinstance(row.get("evidence"), list):
        sentences = row["evidence"]
    else:
        raise ValueError("a row needs `evidence` (a list of sentences) or `evidences` (a list of dicts)")
    if not isinstance(claim, str) or not all(isinstance(s, str) for s in sentences):
        raise ValueError("claim and sentences must be strings")
    return EvidenceInput(claim=claim, sentences=sentences, contiguous="evidences" not in row)


def row_gold(row: dict[str, Any]) -> set[int]:
    """Gold sentence indices of a row: read only after every row has been ranked."""
    if isinstance(row.get("evidences"), list):
        return {
            i
            for i, evidence in enumerate(row["evidences"])
            if str(evidence.get("evidence_label", "")).upper() in GOLD_EVIDENCE_LABELS
        }
    gold: set[int] = set()
    for alternative in row.get("supporting_sentences") or []:
        gold.update(int(i) for i in alternative)
    return gold


@dataclass
class Rankings:
    ours: list[list[int]]
    bm25: list[list[int]]
    dense: list[list[int]] | None


def rank_rows(inputs: list[EvidenceInput]) -> Rankings:
    """Rank every row's sentences three ways: ours (hybrid), BM25 alone, embeddings alone."""
    claim_vectors = cached_encode([item.claim for item in inputs])
    sentence_vectors = cached_encode([s for item in inputs for s in item.sentences])
    ours: list[list[int]] = []
    bm25: list[list[int]] = []
    dense: list[list[int]] | None = [] if claim_vectors is not None else None
    offset = 0
    for i, item in enumerate(inputs):
        vectors = claim_vector = None
        if claim_vectors is not None and sentence_vectors is not None:
            vectors = sentence_vectors[offset : offset + len(item.sentences)]
            claim_vector = claim_vectors[i]
        offset += len(item.sentences)
        # The baseline ranks every sentence: BM25 order, then the unmatched ones in page order.
        lexical = BM25Index([tokenize(s) for s in item.sentences]).scores(tokenize(item.claim))
        bm25.append(order_by(lexical))
        if dense is not None and vectors is not None and claim_vector is not None:
            dense.append(dense_order(claim_vector, vectors))
        # Without vectors (model not installed) hybrid_rank degrades to BM25 + re-ranking by itself.
        ours.append(
            hybrid_rank(
                item.claim,
                item.sentences,
                passage_vectors=vectors,
                claim_vector=claim_vector,
                contiguous=item.contiguous,
            )
        )
    return Rankings(ours=ours, bm25=bm25, dense=dense)


def score(rankings: list[list[int]], golds: list[set[int]]) -> dict[str, float]:
    """Mean recall@k and MRR over the rows that have any gold sentence."""
    pairs = [(ranked, gold) for ranked, gold in zip(rankings, golds, strict=True) if gold]
    return rounded(
        {
            "recall_at_5": mean(recall_at(r, g, 5) for r, g in pairs),
            "recall_at_10": mean(recall_at(r, g, 10) for r, g in pairs),
            "mrr": mean(reciprocal_rank(r, g) for r, g in pairs),
            "recall_at_1": mean(recall_at(r, g, 1) for r, g in pairs),
        }
    )


def evaluate(dataset: Path, *, predictions: Path | None = None, corpus: Path | None = None) -> dict[str, Any]:
    """Evidence-retrieval metrics of the hybrid and its two single-signal baselines on `dataset`.

    `corpus` is accepted for a uniform interface and unused: each row carries its own sentences.
    """
    started = time.perf_counter()
    rows = read_rows(Path(dataset))
    inputs = [row_input(row) for row in rows]
    rankings = rank_rows(inputs)
    write_predictions(predictions, ({"ranked": ranked} for ranked in rankings.ours))

    golds = [row_gold(row) for row in rows]  # labels: only now
    ours = score(rankings.ours, golds)
    bm25 = score(rankings.bm25, golds)
    result: dict[str, Any] = {
        "task": "evidence",
        "dataset": dataset_name(Path(dataset)),
        "rows": len(rows),
        "rows_with_gold": sum(1 for gold in golds if gold),
        "candidates_per_row": round(mean(len(item.sentences) for item in inputs), 1),
        "system": "hybrid: BM25 (+ sentence windows on pages) + MiniLM cosine, RRF, re-ranked",
        **ours,
        "baseline": {"name": "BM25", **bm25},
        "ratios_vs_bm25": ratios(ours, bm25, METRICS),
    }
    if rankings.dense is not None:
        dense = score(rankings.dense, golds)
        result["baseline_embeddings"] = {"name": "MiniLM cosine", **dense}
        result["ratios_vs_embeddings"] = ratios(ours, dense, METRICS)
    else:
        result["system"] = "BM25 + re-ranking (embedding model not installed)"
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result
