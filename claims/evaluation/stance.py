"""Stance: does a passage support the claim, refute it, or not bear on it?

Reads claim/evidence pairs in either shared format, detected per row:

- HealthVer (`verification/healthver_dev.jsonl`): `claim`, `evidence`, gold `label`
  Supports / Refutes / Neutral;
- Climate-FEVER pairs (`verification/climate_fever_dev_pairs.jsonl`): `claim`, `evidence`, gold
  `evidence_label` SUPPORTS / REFUTES / NOT_ENOUGH_INFO.

Gold labels map to supports / refutes / unrelated (Neutral and NOT_ENOUGH_INFO -> unrelated: the
passage does not settle the claim). Our "unclear" is an abstention and counts as wrong whatever the gold
label: accuracy and macro-F1 (over the three gold classes) are strict, and the share of abstentions and
the scores on the rows we did decide are reported beside them.

When the file is one the stance model was fitted on (its SHA-256 is in the model card), only its "test"
part is scored (claims.evaluation.splits: 20 % of the claims, grouped by claim, never trained or tuned
on), and the pair-feature logistic regression baseline is fitted on its "train" part in the same run. On
any other file every row is scored and that baseline is left out (it has nothing to fit on).

Measured in the same run: ours as shipped (model + exact-fact overrides + abstention), the model's bare
argmax, the rules alone, the majority class, a cosine threshold, and the logistic regression.
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
from claims.evaluation.splits import claim_group, claim_split
from claims.stance import (
    LABELS,
    MODEL_LABELS,
    UNRELATED_COVERAGE,
    UNRELATED_SIMILARITY,
    Comparison,
    compare,
    heuristic_stance,
    model_stance,
)
from text import stance_model

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


def similarities(pairs: list[tuple[str, str]]) -> list[float | None]:
    """MiniLM cosine of each pair (from the on-disk vector cache), or None without the model."""
    claim_vectors = cached_encode([claim for claim, _ in pairs])
    passage_vectors = cached_encode([passage for _, passage in pairs])
    if claim_vectors is None or passage_vectors is None:
        return [None] * len(pairs)
    return [float(x) for x in (claim_vectors * passage_vectors).sum(axis=1)]


def similarity_baseline(pairs: list[tuple[str, str]], cosines: list[float | None]) -> list[str]:
    """The cheapest heuristic: related enough -> supports, else unrelated (never refutes). `cosines`
    from similarities(); without the model, shared terms decide."""
    labels = []
    for (claim, passage), cosine in zip(pairs, cosines, strict=True):
        if cosine is None:
            related = compare(claim, passage).features["coverage"] >= UNRELATED_COVERAGE
        else:
            related = cosine >= UNRELATED_SIMILARITY
        labels.append("supports" if related else "unrelated")
    return labels


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


def in_domain_file(dataset: Path) -> bool:
    """True when the stance model trained on (a part of) this very file: score its test part only."""
    try:
        card = json.loads(stance_model.CARD_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    digest = hashlib.sha256(Path(dataset).read_bytes()).hexdigest()
    return any(entry.get("sha256") == digest for entry in card.get("in_domain_files", []))


def pair_feature_regression(
    train: list[tuple[str, str, str]], test: list[tuple[str, str]]
) -> tuple[list[str], float] | None:
    """The learned baseline: logistic regression over the rule features and MiniLM u·v, |u−v|, its C
    chosen by grouped 3-fold cross-validation on `train` (claim, passage, gold). None without vectors."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, cross_val_score
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    def features(pairs: list[tuple[str, str]]) -> np.ndarray | None:
        u = cached_encode([claim for claim, _ in pairs])
        v = cached_encode([passage for _, passage in pairs])
        if u is None or v is None:
            return None
        names = sorted(compare("a", "b").features)
        interpretable = np.array(
            [
                [compare(claim, passage, similarity=float(u[i] @ v[i])).features[name] for name in names]
                for i, (claim, passage) in enumerate(pairs)
            ]
        )
        return np.hstack([interpretable, u * v, np.abs(u - v)])

    x_train = features([(claim, passage) for claim, passage, _ in train])
    x_test = features(test)
    if x_train is None or x_test is None:
        return None
    y_train = [gold for _, _, gold in train]
    groups = [claim for claim, _, _ in train]
    best = max(
        (0.01, 0.03, 0.1, 0.3),
        key=lambda c: cross_val_score(
            make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)),
            x_train, y_train, groups=groups, cv=GroupKFold(3), scoring="f1_macro",
        ).mean(),
    )  # fmt: skip
    model = make_pipeline(StandardScaler(), LogisticRegression(C=best, max_iter=2000)).fit(x_train, y_train)
    return list(model.predict(x_test)), best


def evaluate(dataset: Path, *, predictions: Path | None = None, corpus: Path | None = None) -> dict[str, Any]:
    """Stance metrics of the shipped suggestion and its baselines on `dataset` (`corpus` is unused)."""
    started = time.perf_counter()
    rows = read_rows(Path(dataset))
    split = in_domain_file(Path(dataset))
    parts = [claim_split(claim_group(row)) if split else "test" for row in rows]
    test_rows = [row for row, part in zip(rows, parts, strict=True) if part == "test"]
    pairs = [row_input(row) for row in test_rows]
    cosines = similarities(pairs)
    comparisons: list[Comparison] = [
        compare(claim, passage, similarity=similarity)
        for (claim, passage), similarity in zip(pairs, cosines, strict=True)
    ]
    rules = [heuristic_stance(c)[0] for c in comparisons]
    model_seconds = 0.0
    if stance_model.model_available():
        model_started = time.perf_counter()
        probabilities = stance_model.probabilities(pairs)
        model_seconds = time.perf_counter() - model_started
        ours = [model_stance(c, p) for c, p in zip(comparisons, probabilities, strict=True)]
        bare_model = [MODEL_LABELS[int(np.argmax(p))] for p in probabilities]
        system = "MiniLM cross-encoder (text/stance_model.py) + exact-fact overrides + abstention"
    else:
        ours = [heuristic_stance(c) for c in comparisons]
        bare_model = None
        system = "rules over numbers, years, negation, direction and MiniLM similarity (no stance model)"
    labels = iter(label for label, _ in ours)
    write_predictions(
        predictions,
        ({"label": next(labels)} if part == "test" else {"label": None, "split": part} for part in parts),
    )

    gold = [row_gold(row) for row in test_rows]  # labels: only now
    scored = [g for g in gold if g is not None]
    majority = Counter(scored).most_common(1)[0][0] if scored else "unrelated"
    ours_scores = score([label for label, _ in ours], gold)
    rules_scores = score(rules, gold)
    majority_scores = score([majority] * len(test_rows), gold)
    cheap_scores = score(similarity_baseline(pairs, cosines), gold)
    result: dict[str, Any] = {
        "task": "stance",
        "dataset": dataset_name(Path(dataset)),
        "rows": len(rows),
        "rows_scored": len(scored),
        "scored_part": "test part, grouped by claim (the model trained on the rest)" if split else "all rows",
        "gold_distribution": dict(Counter(scored)),
        "system": system,
        **ours_scores,
        "predicted_distribution": dict(Counter(label for label, _ in ours)),
        "baseline": {"name": f"majority class ({majority})", **majority_scores},
        "baseline_rules": {"name": "rules alone (the previous default)", **rules_scores},
        "baseline_similarity": {"name": "cosine threshold only (supports / unrelated)", **cheap_scores},
        "ratios_vs_majority": ratios(ours_scores, majority_scores, METRICS),
        "ratios_vs_rules": ratios(ours_scores, rules_scores, METRICS),
    }
    if bare_model is not None:
        result["variant_model_argmax"] = {"name": "the model's argmax alone", **score(bare_model, gold)}
        result["model_pairs_per_second"] = round(len(pairs) / model_seconds, 1) if model_seconds else None
    if split:
        train = [
            (*row_input(row), row_gold(row))
            for row, part in zip(rows, parts, strict=True)
            if part == "train" and row_gold(row) is not None
        ]
        fitted = pair_feature_regression(train, pairs)
        if fitted is not None:
            predicted, c = fitted
            lr_scores = score(predicted, gold)
            result["baseline_regression"] = {
                "name": f"logistic regression, rule features + MiniLM u·v, |u−v| (C={c}, train part)",
                **lr_scores,
            }
            result["ratios_vs_regression"] = ratios(ours_scores, lr_scores, METRICS)
    result["examples"] = [{"label": label, "reason": reason} for label, reason in ours[:3]]
    result["seconds"] = round(time.perf_counter() - started, 2)
    return result
