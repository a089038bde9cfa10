"""Reading data sets, writing predictions and the ranking metrics shared by the evaluation tasks."""

from __future__ import annotations

import gzip
import json
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
