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
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from claims.checkworthiness import (
    CLAIM_THRESHOLD,
    hand_features,
    load_model,
    score_sentences,
    triage_priority,
)
from claims.evaluation.checkworthiness_training import DEBATE_FOLDS
from claims.evaluation.scoring import (
    average_precision,
    dataset_name,
    mean_average_precision,
    precision_recall_f1,
    ratios,
    read_rows,
    write_predictions,
)

__all__ = ["baseline_scores", "evaluate"]


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


def _training_file(path: Path) -> dict[str, Any] | None:
    """The model card's entry for this very file (by content hash), if the model was fitted on it."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return next((f for f in load_model().meta.get("training_files", []) if f.get("sha256") == digest), None)


def _sibling_training_file(dataset: Path, own: dict[str, Any]) -> Path | None:
    """The model's other training file, when it lies beside this one with the same content."""
    for entry in load_model().meta.get("training_files", []):
        candidate = dataset.parent / str(entry.get("name", ""))
        if entry is not own and candidate.is_file():
            if hashlib.sha256(candidate.read_bytes()).hexdigest() == entry.get("sha256"):
                return candidate
    return None


def out_of_fold_scores(
    dataset: Path, *, debates: bool, pooled_with: Path | None, folds: int = DEBATE_FOLDS
) -> list[float]:
    """Scores for a file the shipped model was fitted on: each row scored by the shipped recipe
    refitted without the row's fold (`folds` folds grouped by debate for debate files, 5
    stratified folds otherwise), with the other training file pooled in as at fit time. The same
    code as bench/fit_checkworthiness.py."""
    from claims.evaluation.checkworthiness_training import (
        Fitted,
        Recipe,
        claimbuster_oof,
        clef_cv,
        load_corpus,
    )

    recipe = Recipe(**load_model().meta["recipe"])
    if debates:
        corpus = load_corpus(pooled_with, dataset)
    else:
        corpus = load_corpus(dataset, pooled_with)
    if corpus.vectors is None:
        recipe = recipe.without_embeddings()
    pooled = pooled_with is not None
    if debates:
        return clef_cv(corpus, lambda: Fitted(recipe), pooled=pooled, folds=folds)["oof"].tolist()
    return claimbuster_oof(corpus, lambda: Fitted(recipe), pooled=pooled).tolist()


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
    # One fold count for our refits, the baseline and the label: fewer when a file has fewer debates.
    folds = min(DEBATE_FOLDS, len(set(groups))) if groups is not None else 5

    trained_on = _training_file(dataset)
    if trained_on is None:
        # Predict first, with nothing but the text: labels are looked at only after this point.
        scores = [result.score for result in score_sentences(texts)]
        scored_by = "the shipped model"
    else:
        # The shipped model has seen these rows: score each one with the recipe refitted without it.
        sibling = _sibling_training_file(dataset, trained_on)
        scores = out_of_fold_scores(dataset, debates=groups is not None, pooled_with=sibling, folds=folds)
        scored_by = (
            f"out of fold: the shipped recipe refitted on {folds - 1} of {folds} folds"
            + (", grouped by debate" if groups is not None else "")
            + (f", pooled with {sibling.name} as at fit time" if sibling else ", this file alone")
        )
    write_predictions(predictions, ({"score": s} for s in scores))

    result: dict[str, Any] = {
        "task": "checkworthiness",
        "dataset": dataset_name(dataset),
        "rows": len(rows),
        "threshold": CLAIM_THRESHOLD,
        "trained_on_this_data": trained_on is not None,
        "scored_by": scored_by,
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
    if groups is not None:
        # The order a reviewer meets the lines in (quantities first over the threshold), beside the
        # model's own ranking above.
        priorities = [triage_priority(s, hand_features(t)) for s, t in zip(scores, texts, strict=True)]
        result["map_in_triage_order"] = round(mean_average_precision(groups, gold, priorities)[0], 4)
    base_scores = baseline_scores(texts, gold, groups, folds=folds)
    baseline = _metrics(gold, base_scores, groups, 0.5)
    baseline["model"] = f"TF-IDF + logistic regression, {folds}-fold CV on this file" + (
        ", grouped by debate" if groups is not None else ""
    )
    baseline["threshold"] = 0.5
    result["baseline"] = baseline
    compared = ["f1", "average_precision"] + (["map"] if groups is not None else [])
    result["ratio"] = ratios(ours, baseline, compared)
    if trained_on is not None:
        result["note"] = (
            "the shipped model was fitted on this file, so its rows were scored out of fold; the "
            "threshold itself was chosen on out-of-fold ClaimBuster scores"
        )
    result["seconds"] = round(time.perf_counter() - started, 3)
    return result
