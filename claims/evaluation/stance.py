"""Stance: does a passage support the claim, refute it, or not bear on it?

Reads claim/evidence pairs in either shared format, detected per row:

- HealthVer (`verification/healthver_dev.jsonl`): `claim`, `evidence`, gold `label`
  Supports / Refutes / Neutral;
- Climate-FEVER pairs (`verification/climate_fever_dev_pairs.jsonl`): `claim`, `evidence`, gold
  `evidence_label` SUPPORTS / REFUTES / NOT_ENOUGH_INFO.

Gold labels map to supports / refutes / unrelated (Neutral and NOT_ENOUGH_INFO -> unrelated: the
passage does not settle the claim). Our "unclear" is an abstention and counts as wrong whatever the gold
label: accuracy and macro-F1 (over the three gold classes) are strict, and the share of abstentions and
the scores on the rows we did decide are reported beside them. Rows whose gold label maps to none of the
three (Climate-FEVER's claim-level DISPUTED never occurs per pair) are predicted but not scored.

Ours is `claims.stance.suggest_stance` as shipped (the rules unless USE_LEARNED_MODEL is on). Measured
in the same run: the majority class of the file, a similarity-threshold heuristic (cosine at or above
UNRELATED_SIMILARITY -> supports, else unrelated), and the opt-in learned model as a variant. That model
was fitted on HealthVer dev, so its numbers on that file are in-sample; its honest numbers are the
cross-validated and cross-domain ones printed by bench/fit_stance.py.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np

from claims.evaluation.embedding_cache import cached_encode
from claims.evaluation.scoring import dataset_name, ratios, read_rows, rounded, write_predictions
from claims.stance import (
    LABELS,
    MODEL_PATH,
    UNRELATED_COVERAGE,
    UNRELATED_SIMILARITY,
    compare,
    load_model,
    suggest_stance,
)

METRICS = ("accuracy", "macro_f1")
GOLD_LABELS = {
    "supports": "supports",
    "supported": "supports",
    "refutes": "refutes",
    "refuted": "refutes",
    "not_enough_info": "unrelated",
    "nei": "unrelated",
    "neutral": "unrelated",
    "unrelated": "unrelated",
}


def gold_label(raw: Any) -> str | None:
    return GOLD_LABELS.get(str(raw).strip().lower().replace(" ", "_"))


def row_input(row: dict[str, Any]) -> tuple[str, str]:
    claim, evidence = row["claim"], row["evidence"]
    if not isinstance(claim, str) or not isinstance(evidence, str):
        raise ValueError("`claim` and `evidence` must be strings")
    return claim, evidence


def row_gold(row: dict[str, Any]) -> str | None:
    return gold_label(row["label"] if "label" in row else row.get("evidence_label"))


def predict(pairs: list[tuple[str, str]], *, use_model: bool | None = None) -> list[tuple[str, str]]:
    """(label, reason) for every pair; vectors come from the on-disk cache when the model is installed."""
    claim_vectors = cached_encode([claim for claim, _ in pairs])
    passage_vectors = cached_encode([passage for _, passage in pairs])
    results = []
    for i, (claim, passage) in enumerate(pairs):
        u = claim_vectors[i] if claim_vectors is not None else None
        v = passage_vectors[i] if passage_vectors is not None else None
        results.append(suggest_stance(claim, passage, claim_vector=u, passage_vector=v, use_model=use_model))
    return results


def similarity_baseline(pairs: list[tuple[str, str]]) -> list[str]:
    """The cheapest heuristic: related enough -> supports, else unrelated (never refutes)."""
    claim_vectors = cached_encode([claim for claim, _ in pairs])
    passage_vectors = cached_encode([passage for _, passage in pairs])
    if claim_vectors is None or passage_vectors is None:
        coverage = [compare(claim, passage).features["coverage"] for claim, passage in pairs]
        return ["supports" if c >= UNRELATED_COVERAGE else "unrelated" for c in coverage]
    similarity = (claim_vectors * passage_vectors).sum(axis=1)
    return ["supports" if s >= UNRELATED_SIMILARITY else "unrelated" for s in similarity]


def score(predicted: list[str], gold: list[str | None]) -> dict[str, float]:
    """Strict accuracy and macro-F1 (unclear is wrong), plus abstention and decided-only scores."""
    pairs = [(p, g) for p, g in zip(predicted, gold, strict=True) if g is not None]
    if not pairs:
        return {"accuracy": 0.0, "macro_f1": 0.0}
    metrics = {"accuracy": sum(p == g for p, g in pairs) / len(pairs), "macro_f1": _macro_f1(pairs)}
    for label in LABELS:
        metrics[f"f1_{label}"] = _f1(pairs, label)
    decided = [(p, g) for p, g in pairs if p != "unclear"]
    metrics["unclear_share"] = 1 - len(decided) / len(pairs)
    if decided:
        metrics["accuracy_decided"] = sum(p == g for p, g in decided) / len(decided)
        metrics["macro_f1_decided"] = _macro_f1(decided)
    # What a reader who files "unclear" with "unrelated" (both mean: a reviewer looks) would see.
    metrics["macro_f1_unclear_as_unrelated"] = _macro_f1(
        [("unrelated" if p == "unclear" else p, g) for p, g in pairs]
    )
    return rounded(metrics)


def _f1(pairs: list[tuple[str, str]], label: str) -> float:
    tp = sum(p == label and g == label for p, g in pairs)
    fp = sum(p == label and g != label for p, g in pairs)
    fn = sum(p != label and g == label for p, g in pairs)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0


def _macro_f1(pairs: list[tuple[str, str]]) -> float:
    return float(np.mean([_f1(pairs, label) for label in LABELS]))


def _fitted_on(dataset: Path) -> bool:
    """True when the learned model's weights were fitted on this very file (its scores are in-sample)."""
    try:
        recorded = json.loads(MODEL_PATH.read_text(encoding="utf-8")).get("training_files", [])
    except (OSError, ValueError):
        return False
    digest = hashlib.sha256(dataset.read_bytes()).hexdigest()
    return any(entry.get("sha256") == digest for entry in recorded)


def evaluate(dataset: Path, *, predictions: Path | None = None, corpus: Path | None = None) -> dict[str, Any]:
    """Stance metrics of suggest_stance and of two baselines on `dataset` (`corpus` is unused)."""
    started = time.perf_counter()
    rows = read_rows(Path(dataset))
    pairs = [row_input(row) for row in rows]
    ours = predict(pairs)
    learned = predict(pairs, use_model=True) if load_model() is not None else None
    cheap = similarity_baseline(pairs)
    write_predictions(predictions, ({"label": label} for label, _ in ours))

    gold = [row_gold(row) for row in rows]  # labels: only now
    scored = [g for g in gold if g is not None]
    majority = Counter(scored).most_common(1)[0][0] if scored else "unrelated"
    ours_scores = score([label for label, _ in ours], gold)
    majority_scores = score([majority] * len(rows), gold)
    cheap_scores = score(cheap, gold)
    result: dict[str, Any] = {
        "task": "stance",
        "dataset": dataset_name(Path(dataset)),
        "rows": len(rows),
        "rows_scored": len(scored),
        "gold_distribution": dict(Counter(scored)),
        "system": "rules over numbers, years, negation, direction and MiniLM similarity",
        **ours_scores,
        "predicted_distribution": dict(Counter(label for label, _ in ours)),
        "baseline": {"name": f"majority class ({majority})", **majority_scores},
        "baseline_similarity": {"name": "cosine threshold only (supports / unrelated)", **cheap_scores},
        "ratios_vs_majority": ratios(ours_scores, majority_scores, METRICS),
        "ratios_vs_similarity": ratios(ours_scores, cheap_scores, METRICS),
    }
    if learned is not None:
        result["variant_learned_model"] = {
            "name": "logistic regression, rule features + MiniLM u·v, abs(u−v) (fitted on HealthVer dev)",
            "fitted_on_this_data": _fitted_on(Path(dataset)),
            **score([label for label, _ in learned], gold),
        }
    result["examples"] = [{"label": label, "reason": reason} for label, reason in ours[:3]]
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result
