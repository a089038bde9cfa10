"""Reading data sets, writing predictions and the ranking metrics shared by the evaluation tasks."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import IO, Any


def read_rows(path: Path) -> list[dict[str, Any]]:
    """All rows of a JSON Lines file (gzipped when it ends in .gz); blank lines are skipped."""
    path = Path(path)
    opener: IO[str] = (
        gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else path.open(encoding="utf-8")
    )
    rows = []
    with opener as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number} is not JSON: {exc}") from exc
            if not isinstance(row, dict):
                raise ValueError(f"line {number} is not a JSON object")
            rows.append(row)
    return rows


def write_predictions(path: Path | None, predictions: Iterable[dict[str, Any]]) -> None:
    """One JSON line per input row, in input order (DESIGN.md's `--predictions` contract)."""
    if path is None:
        return
    with Path(path).open("w", encoding="utf-8") as out:
        for prediction in predictions:
            out.write(json.dumps(prediction, ensure_ascii=False) + "\n")


def dataset_name(path: Path) -> str:
    name = Path(path).name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def recall_at(ranked: Sequence[Any], gold: set[Any], k: int) -> float:
    """Share of the gold items found in the first k of ranked."""
    return len(gold.intersection(ranked[:k])) / len(gold) if gold else 0.0


def reciprocal_rank(ranked: Sequence[Any], gold: set[Any]) -> float:
    """1 / rank of the first gold item (0 when none is ranked)."""
    for rank, item in enumerate(ranked, start=1):
        if item in gold:
            return 1.0 / rank
    return 0.0


def average_precision_at(ranked: Sequence[Any], gold: set[Any], k: int) -> float:
    """AP@k as the CLEF 2020 task 2 scorer computes it: precision at each gold hit in the top k,
    summed, divided by the number of gold items (capped at k)."""
    if not gold:
        return 0.0
    hits, total = 0, 0.0
    for rank, item in enumerate(ranked[:k], start=1):
        if item in gold:
            hits += 1
            total += hits / rank
    return total / min(len(gold), k)


def mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else 0.0


def rounded(metrics: dict[str, float]) -> dict[str, float]:
    return {name: round(value, 4) for name, value in metrics.items()}


def ratios(ours: dict[str, Any], baseline: dict[str, Any], metrics: Sequence[str]) -> dict[str, float | None]:
    """ours / baseline for each metric (None when the baseline scored 0)."""
    return {name: round(ours[name] / baseline[name], 4) if baseline.get(name) else None for name in metrics}


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
