"""Fit the evidence relevance gate's thresholds (claims/services/evidence.py) on the shared dev sets.

    .venv/bin/python bench/fit_relevance_gate.py

The gate's job is to keep a passage that bears on a claim and drop one that does not: filler from an
unrelated page must never become "evidence". Positives: WiCE dev's supporting sentences, and
Climate-FEVER dev's evidence sentences that annotators labelled SUPPORTS or REFUTES. Negatives: for
each claim, sentences drawn from *other* claims' evidence (what a linked page about something else
offers). Features are the two the gate uses: cosine similarity of MiniLM embeddings (where pgvector
stores them) and coverage, the share of the claim's stemmed content words found in the passage (all a
database without pgvector has). Each threshold is the one that best separates the two (kept positives
minus kept negatives) while keeping at least 80 % of the positives; the script prints both, and what
each keeps of positives and negatives.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import numpy as np

BASE_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(BASE_DIR))
DATA = BASE_DIR.parent / "shared" / "data" / "verification"
MIN_KEPT_POSITIVES = 0.80
NEGATIVES_PER_CLAIM = 4


def pairs() -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    rng = random.Random(13)
    positives: list[tuple[str, str]] = []
    by_claim: dict[str, list[str]] = {}
    for line in open(DATA / "wice_dev.jsonl", encoding="utf-8"):
        row = json.loads(line)
        sentences = row["evidence"]
        chosen = {i for group in row.get("supporting_sentences") or [] for i in group if i < len(sentences)}
        positives += [(row["claim"], sentences[i]) for i in sorted(chosen)]
        by_claim.setdefault(row["claim"], []).extend(sentences)
    for line in open(DATA / "climate_fever_dev_pairs.jsonl", encoding="utf-8"):
        row = json.loads(line)
        if row["evidence_label"] in {"SUPPORTS", "REFUTES"}:
            positives.append((row["claim"], row["evidence"]))
        by_claim.setdefault(row["claim"], []).append(row["evidence"])
    claims = list(by_claim)
    negatives = []
    for claim in claims:
        for _ in range(NEGATIVES_PER_CLAIM):
            other = rng.choice(claims)
            if other != claim and by_claim[other]:
                negatives.append((claim, rng.choice(by_claim[other])))
    return positives, negatives


def features(batch: list[tuple[str, str]]) -> tuple[np.ndarray, np.ndarray]:
    from claims.services.evidence import claim_coverage
    from text.embeddings import encode

    coverage = np.array([claim_coverage(claim, passage) for claim, passage in batch])
    claims = encode([claim for claim, _ in batch])
    passages = encode([passage[:2000] for _, passage in batch])
    cosine = np.sum(claims * passages, axis=1) / (
        np.linalg.norm(claims, axis=1) * np.linalg.norm(passages, axis=1) + 1e-9
    )
    return cosine, coverage


def threshold(positive: np.ndarray, negative: np.ndarray) -> float:
    """The value that best separates bearing from unrelated (Youden's J: kept positives minus kept
    negatives), among those that still keep at least MIN_KEPT_POSITIVES of the positives."""
    best, best_j = 0.0, -1.0
    for value in np.unique(np.round(np.concatenate([positive, negative]), 3)):
        kept = np.mean(positive >= value)
        if kept < MIN_KEPT_POSITIVES:
            break
        j = kept - np.mean(negative >= value)
        if j > best_j:
            best, best_j = float(value), j
    return best


def main() -> int:
    import os

    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
    os.environ.setdefault("FACTCHECK_DEV", "true")
    os.environ.setdefault("DATABASE_URL", "postgresql://localhost/unused")
    os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/0")
    django.setup()
    positives, negatives = pairs()
    pos_cos, pos_cov = features(positives)
    neg_cos, neg_cov = features(negatives)
    min_similarity, min_coverage = threshold(pos_cos, neg_cos), threshold(pos_cov, neg_cov)
    print(f"pairs: {len(positives)} positives, {len(negatives)} negatives")
    for name, value, pos, neg in (
        ("MIN_SIMILARITY (with vectors)", min_similarity, pos_cos, neg_cos),
        ("MIN_COVERAGE (without vectors)", min_coverage, pos_cov, neg_cov),
    ):
        print(
            f"{name} = {value:.3f}: keeps {np.mean(pos >= value):.1%} of positives, "
            f"{np.mean(neg >= value):.1%} of unrelated sentences"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
