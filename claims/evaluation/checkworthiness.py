"""Score check-worthiness on files shaped like the shared check-worthiness sets.

Rows are ClaimBuster (`text`, `label`), CLEF 2020 debates (`debate_id`, `line_number`, `speaker`,
`text`, `label`) or CLEF 2020 tweets (`tweet_text`, `check_worthiness`). Every row is scored with
the shipped model before any label is read. Metrics: precision / recall / F1 of the positive class
at CLAIM_THRESHOLD, average precision over the whole file and, where rows carry a `debate_id`,
mean average precision over debates (CLEF 2020 task 5). A plain TF-IDF + logistic regression
baseline, cross-validated on the file itself, is measured in the same run.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from claims.checkworthiness import CLAIM_THRESHOLD, load_model, score_sentences
from claims.evaluation.scoring import dataset_name, ratios, read_rows, write_predictions

__all__ = [
    "average_precision",
    "baseline_scores",
    "best_threshold",
    "evaluate",
    "mean_average_precision",
    "precision_recall_f1",
]


def average_precision(labels: Sequence[int], scores: Sequence[float]) -> float:
    """Mean of precision at each positive, ranked by score (ties keep input order), as the
    CLEF 2020 scorer ranks a debate's lines."""
    order = sorted(range(len(scores)), key=lambda i: -scores[i])
    hits, total = 0, 0.0
    for rank, i in enumerate(order, start=1):
        if labels[i]:
            hits += 1
            total += hits / rank
    return total / hits if hits else 0.0


def mean_average_precision(
    groups: Sequence[str], labels: Sequence[int], scores: Sequence[float]
) -> tuple[float, int]:
    """(MAP over groups with at least one positive, number of such groups)."""
    by_group: dict[str, list[int]] = defaultdict(list)
    for i, group in enumerate(groups):
        by_group[group].append(i)
    aps = [
        average_precision([labels[i] for i in idx], [scores[i] for i in idx])
        for idx in by_group.values()
        if any(labels[i] for i in idx)
    ]
    return (sum(aps) / len(aps) if aps else 0.0), len(aps)


def precision_recall_f1(labels: Sequence[int], scores: Sequence[float], threshold: float) -> dict[str, float]:
    tp = sum(1 for y, s in zip(labels, scores, strict=True) if y and s >= threshold)
    predicted = sum(1 for s in scores if s >= threshold)
    positives = sum(1 for y in labels if y)
    precision = tp / predicted if predicted else 0.0
    recall = tp / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": precision, "recall": recall, "f1": f1}


def best_threshold(labels: Sequence[int], scores: Sequence[float]) -> float:
    """The cut-off (on a 0.01 grid) with the highest positive-class F1."""
    grid = [round(0.05 + 0.01 * i, 2) for i in range(91)]
    return max(grid, key=lambda t: (precision_recall_f1(labels, scores, t)["f1"], -abs(t - 0.5)))


def baseline_scores(
    texts: Sequence[str], labels: Sequence[int], groups: Sequence[str] | None, *, folds: int = 5
) -> list[float]:
    """Out-of-fold scores of plain TF-IDF + logistic regression (scikit-learn defaults, balanced
    class weights so that 0.5 is a usable cut-off at any prevalence), grouped by debate when given
    so that no debate is scored by a model that saw it."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import GroupKFold, StratifiedKFold

    n_pos = sum(1 for y in labels if y)
    n_groups = len(set(groups)) if groups is not None else 0
    if groups is not None and n_groups >= 2:
        splits = GroupKFold(n_splits=min(folds, n_groups)).split(texts, labels, groups)
    else:
        k = min(folds, n_pos, len(labels) - n_pos)
        if k < 2:
            return [0.0] * len(texts)
        splits = StratifiedKFold(n_splits=k, shuffle=True, random_state=0).split(texts, labels)
    out = [0.0] * len(texts)
    for train, test in splits:
        train_labels = [labels[i] for i in train]
        if len(set(train_labels)) < 2:
            continue
        vectorizer = TfidfVectorizer()
        x_train = vectorizer.fit_transform([texts[i] for i in train])
        model = LogisticRegression(max_iter=2000, class_weight="balanced")
        model.fit(x_train, train_labels)
        probabilities = model.predict_proba(vectorizer.transform([texts[i] for i in test]))[:, 1]
        for i, p in zip(test, probabilities, strict=True):
            out[i] = float(p)
    return out


def _text(row: dict[str, Any]) -> str:
    if "text" in row:
        return str(row["text"] or "")
    if "tweet_text" in row:
        return str(row["tweet_text"] or "")
    raise KeyError("each row needs `text` (ClaimBuster, CLEF debates) or `tweet_text` (tweets)")


def _label(row: dict[str, Any]) -> int | None:
    value = row.get("label", row.get("check_worthiness"))
    return None if value is None else int(value)


def _trained_on(path: Path) -> bool:
    """Whether the shipped model was fitted on this very file (by content hash, else by name)."""
    files = load_model().meta.get("training_files", [])
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return any(f.get("sha256") == digest or f.get("name") == path.name for f in files)


def _metrics(
    labels: list[int], scores: list[float], groups: list[str] | None, threshold: float
) -> dict[str, Any]:
    metrics: dict[str, Any] = precision_recall_f1(labels, scores, threshold)
    metrics["average_precision"] = average_precision(labels, scores)
    metrics["map"], metrics["debates"] = (
        mean_average_precision(groups, labels, scores) if groups is not None else (None, None)
    )
    return {k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()}


def evaluate(dataset: Path, *, predictions: Path | None = None) -> dict[str, Any]:
    started = time.perf_counter()
    dataset = Path(dataset)
    rows = read_rows(dataset)
    texts = [_text(row) for row in rows]
    groups = [str(row["debate_id"]) for row in rows] if rows and "debate_id" in rows[0] else None

    # Predict first, with nothing but the text: labels are looked at only after this point.
    scores = [result.score for result in score_sentences(texts)]
    write_predictions(predictions, ({"score": s} for s in scores))

    result: dict[str, Any] = {
        "task": "checkworthiness",
        "dataset": dataset_name(dataset),
        "rows": len(rows),
        "threshold": CLAIM_THRESHOLD,
        "trained_on_this_data": _trained_on(dataset),
    }
    labels = [_label(row) for row in rows]
    if not rows or any(label is None for label in labels):
        result.update(f1=None, precision=None, recall=None, map=None, baseline=None)
        result["note"] = "rows without labels: predictions only"
        result["seconds"] = round(time.perf_counter() - started, 3)
        return result

    gold = [int(label or 0) for label in labels]
    ours = _metrics(gold, scores, groups, CLAIM_THRESHOLD)
    result.update(ours)
    base_scores = baseline_scores(texts, gold, groups)
    baseline = _metrics(gold, base_scores, groups, 0.5)
    baseline["model"] = "TF-IDF + logistic regression, 5-fold CV on this file" + (
        ", grouped by debate" if groups is not None else ""
    )
    baseline["threshold"] = 0.5
    result["baseline"] = baseline
    compared = ["f1", "average_precision"] + (["map"] if groups is not None else [])
    result["ratio"] = ratios(ours, baseline, compared)
    if result["trained_on_this_data"]:
        result["note"] = (
            "the shipped model was fitted on this file, so these numbers flatter it; the honest "
            "ones are the cross-validated figures printed by bench/fit_checkworthiness.py"
        )
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
