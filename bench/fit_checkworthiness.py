"""Fit the check-worthiness model shipped in claims/data/checkworthiness_model.json.

    .venv/bin/python bench/fit_checkworthiness.py

Data, read from ../shared/data/checkworthiness/ and never copied into this repo:

- claimbuster_2.5xNCS.jsonl: 9,674 sentences from U.S. presidential debates, 2,764 of them
  check-worthy factual claims (ClaimBuster's two-class "2.5xNCS" set). Source:
  utaresearch/claimbuster-spotter @332bba08 : data/two_class/kfold_25ncs.json; repository licence
  GPL-3.0; cite Arslan et al., ICWSM 2020, and Meng et al., 2020.
- clef2020_debates_train.jsonl: 42,776 lines of 50 political debates and speeches, 487 of them
  check-worthy (CLEF 2020 CheckThat! task 5). Source: sshaar/clef2020-factchecking-task5 @a9d73855
  : data/v2.zip; "free for general research use".

The recipe (how the two sets are combined, the three feature blocks) lives in
`claims/evaluation/checkworthiness_training.py`, shared with `manage.py evaluate checkworthiness`.

What is printed, all out-of-fold, for ours (with and without the embedding block) and two plain
baselines in the same run (TF-IDF + logistic regression, scikit-learn defaults, balanced class
weights, trained on the same pooled data and on the evaluated set alone):

- ClaimBuster: stratified 5-fold CV, F1 of the positive class at a threshold chosen by an inner
  3-fold CV on the training folds (nested), F1 at 0.5, and average precision.
- CLEF 2020: 10-fold CV grouped by debate (`DEBATE_FOLDS`), mean average precision over debates.

Each variant's threshold is the cut-off with the best F1 on its out-of-fold ClaimBuster scores.
"""

from __future__ import annotations

import hashlib
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from claims.checkworthiness import (  # noqa: E402 - after the path set-up above
    CLAIM_THRESHOLD,
    MODEL_PATH,
    load_model,
    score_sentences,
)
from claims.evaluation.checkworthiness_training import (  # noqa: E402
    Corpus,
    Fitted,
    Plain,
    Recipe,
    claimbuster_cv,
    clef_cv,
    load_corpus,
    model_card,
)
from claims.evaluation.scoring import best_threshold  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "checkworthiness"
CLAIMBUSTER = DATA / "claimbuster_2.5xNCS.jsonl"
CLEF = DATA / "clef2020_debates_train.jsonl"


def _file_info(path: Path) -> dict[str, Any]:
    labels = [json.loads(line)["label"] for line in path.open(encoding="utf-8")]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    return {"name": path.name, "sha256": digest, "rows": len(labels), "positives": sum(labels)}


def main() -> None:
    started = time.perf_counter()
    recipe = Recipe()
    corpus = load_corpus(CLAIMBUSTER, CLEF)
    runs = {
        "ours (hand features + types + lexical + embeddings)": (lambda: Fitted(recipe), True),
        "ours without the embedding block": (lambda: Fitted(recipe.without_embeddings()), True),
        "TF-IDF + LR, same pooled training data": (Plain, True),
        "TF-IDF + LR, in-domain only": (Plain, False),
    }
    table: dict[str, dict[str, float]] = {}
    thresholds: list[float] = []
    cb_labels = corpus.labels[corpus.split("cb")].tolist()
    for name, (make, pooled) in runs.items():
        cb = claimbuster_cv(corpus, make, pooled=pooled)
        if len(thresholds) < 2:
            thresholds.append(best_threshold(cb_labels, cb["oof"].tolist()))
        table[name] = {k: round(float(v), 4) for k, v in cb.items() if k != "oof"}
        table[name]["clef_map"] = round(float(clef_cv(corpus, make, pooled=pooled)["map"]), 4)
        print(f"  {name}: {table[name]}  ({time.perf_counter() - started:.0f} s)", flush=True)

    ours, baselines = table[next(iter(runs))], list(table.values())[2:]
    ratio = {k: round(ours[k] / max(b[k] for b in baselines), 3) for k in ours}
    everything = np.arange(len(corpus.texts))
    full = Fitted(recipe).fit(corpus, everything)
    lexical = Fitted(recipe.without_embeddings()).fit(corpus, everything)
    metrics = {"cross_validated": table, "ratio_ours_to_best_baseline": ratio}
    files = [_file_info(CLAIMBUSTER), _file_info(CLEF)]
    card = model_card(full, lexical, (thresholds[0], thresholds[1]), metrics, files)
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(json.dumps(card), encoding="utf-8")
    _check_runtime_agrees(full, corpus)
    _print_table(table, ratio, thresholds[0])
    size = MODEL_PATH.stat().st_size / 1e6
    print(f"\nwrote {MODEL_PATH.relative_to(ROOT)} ({size:.2f} MB) in {time.perf_counter() - started:.0f} s")
    if abs(thresholds[0] - CLAIM_THRESHOLD) > 1e-9:
        print(f"NOTE: set CLAIM_THRESHOLD = {thresholds[0]} in claims/checkworthiness.py")


def _check_runtime_agrees(model: Fitted, corpus: Corpus) -> None:
    """The runtime scorer must reproduce scikit-learn's probabilities from the JSON."""
    load_model.cache_clear()
    sample = np.arange(0, len(corpus.texts), 97)
    expected = model.predict(corpus, sample)
    got = np.array([r.score for r in score_sentences([corpus.texts[i] for i in sample])])
    worst = float(np.max(np.abs(expected - got)))
    assert worst < 1e-3, f"runtime scorer disagrees with the fitted model by {worst}"


def _print_table(table: dict[str, dict[str, float]], ratio: dict[str, float], thr: float) -> None:
    head = f"{'model':<52} {'CB F1 nested':>12} {'CB F1@0.5':>10} {'CB AP':>7} {'CLEF MAP':>9}"
    print("\n" + head + "\n" + "-" * len(head))
    for name, m in [*table.items(), ("ratio ours / best baseline", ratio)]:
        cells = (m["f1_nested"], m["f1_at_0.5"], m["average_precision"], m["clef_map"])
        print(f"{name:<52} {cells[0]:>12.3f} {cells[1]:>10.3f} {cells[2]:>7.3f} {cells[3]:>9.3f}")
    print(f"\nCLAIM_THRESHOLD (best F1 on out-of-fold ClaimBuster predictions): {thr}")


if __name__ == "__main__":
    main()
