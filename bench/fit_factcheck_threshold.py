"""Fit the fact-check library's suggestion threshold, and show the library ranks as `evaluate` does.

    DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/fit_factcheck_threshold.py

Use a scratch database (migrated): the library must hold the demo entries only, so that its corpus is
the evaluation's. Steps, all through the code a claim's matching runs (claims.services.factchecks):
1. the demo library is seeded from the shared CLEF 2020 task 2 verified claims (timed; a second run
   counts them unchanged);
2. every dev query is matched with `library_candidates` against `library_index()`, and its top 5 scored
   with MAP@5 beside `evaluate claim-matching` on the same queries in the same run;
3. the threshold on claim_similarity (trigram + cosine) that maximises F1 over the dev queries' top-5
   candidates (a suggestion is right when CLEF's gold lists it) is printed, with what it does on the
   800 train queries, which it never saw.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "true")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import django

django.setup()

from claims.demo_library import LABEL, seed_demo_library  # noqa: E402
from claims.evaluation import claim_matching  # noqa: E402
from claims.evaluation.embedding_cache import cached_encode  # noqa: E402
from claims.matching import FACT_CHECK_SUGGEST_THRESHOLD  # noqa: E402
from claims.models import FactCheck  # noqa: E402
from claims.services.factchecks import library_candidates, library_index  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "claim_matching"


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in open(path, encoding="utf-8") if line.strip()]


def matched(queries: list[dict]) -> list[list[tuple[str, float]]]:
    """(vclaim id, similarity) of each query's top 5 from the library, as a claim would get them."""
    library = library_index()
    vclaim_of = {
        pk: url.rsplit("#clef2020-vclaim-", 1)[-1]
        for pk, url in FactCheck.objects.filter(pk__in=library.ids).values_list("pk", "url")
    }
    vectors = cached_encode([row["tweet"] for row in queries])
    out = []
    for i, row in enumerate(queries):
        vector = vectors[i] if vectors is not None else None
        found = library_candidates(row["tweet"], vector=vector, library=library)
        out.append([(vclaim_of[pk], similarity) for pk, _, similarity in found])
    return out


def at_threshold(found: list[list[tuple[str, float]]], golds: list[set[str]], threshold: float) -> dict:
    suggested = right = 0
    queries_with_wrong = 0
    for candidates, gold in zip(found, golds, strict=True):
        kept = [vid for vid, similarity in candidates if similarity >= threshold]
        suggested += len(kept)
        right += sum(1 for vid in kept if vid in gold)
        queries_with_wrong += any(vid not in gold for vid in kept)
    total_gold = sum(len(gold) for gold in golds)
    precision = right / suggested if suggested else 0.0
    recall = right / total_gold if total_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": round(threshold, 2),
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
        "suggested_per_query": round(suggested / len(golds), 2),
        "queries_with_a_wrong_suggestion": round(queries_with_wrong / len(golds), 3),
    }


def main() -> None:
    others = FactCheck.objects.exclude(origin_label=LABEL).count()
    if others:
        sys.exit(f"The library holds {others} entries besides the demo set: use a scratch database.")
    started = time.perf_counter()
    report = seed_demo_library(DATA / "verified_claims.jsonl")
    print(f"seed: {report.counts()} in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    library_index()
    print(f"library index built in {time.perf_counter() - started:.1f} s ({len(library_index())} entries)")

    dev = read(DATA / "queries_dev.jsonl")
    started = time.perf_counter()
    found = matched(dev)
    per_query = (time.perf_counter() - started) / len(dev) * 1000
    golds = [{str(i) for i in row["relevant_vclaim_ids"]} for row in dev]
    library_scores = claim_matching.score([[vid for vid, _ in c] for c in found], golds)
    evaluated = claim_matching.evaluate(DATA / "queries_dev.jsonl", corpus=DATA / "verified_claims.jsonl")
    print(f"dev MAP@5 library match {library_scores['map_at_5']} ({per_query:.1f} ms a query)")
    print(f"dev MAP@5 evaluate      {evaluated['map_at_5']} (BM25 {evaluated['baseline']['map_at_5']})")
    print(f"dev P@1 library {library_scores['p_at_1']} evaluate {evaluated['p_at_1']}")

    sweep = [at_threshold(found, golds, t / 100) for t in range(30, 96)]
    best = max(sweep, key=lambda row: (row["f1"], row["precision"]))
    print("dev, best F1:", best)
    current = at_threshold(found, golds, FACT_CHECK_SUGGEST_THRESHOLD)
    print(f"dev at the shipped threshold {FACT_CHECK_SUGGEST_THRESHOLD}:", current)
    for row in sweep:
        if row["threshold"] in {0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7}:
            print("  dev", row)

    train = read(DATA / "queries_train.jsonl")
    train_found = matched(train)
    train_golds = [{str(i) for i in row["relevant_vclaim_ids"]} for row in train]
    print("train (held out) at dev's best:", at_threshold(train_found, train_golds, best["threshold"]))
    print(
        "train (held out) at the shipped threshold:",
        at_threshold(train_found, train_golds, FACT_CHECK_SUGGEST_THRESHOLD),
    )
    train_scores = claim_matching.score([[vid for vid, _ in c] for c in train_found], train_golds)
    print(f"train MAP@5 library match {train_scores['map_at_5']}")


if __name__ == "__main__":
    main()
