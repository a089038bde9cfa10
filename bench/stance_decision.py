"""The stance model's decision layer, fitted and checked on the calibration parts only. No torch needed.

    .venv/bin/python bench/stance_decision.py --calibration-report   # how the decision rule was chosen
    .venv/bin/python bench/stance_decision.py --fit-decision         # refit class offsets + temperature

Both run the shipped weights through the numpy path, as production does, on the 10 % calibration part
(claims.evaluation.splits) of each in-domain file. The test parts are never read here: they are scored
once, by `manage.py evaluate stance`. bench/fit_stance_model.py (the training, which needs torch) uses the
data helpers below and accepts the same two flags.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import sys
from collections import Counter
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from claims.evaluation.splits import claim_group, claim_split  # noqa: E402
from text.stance_model import LABELS  # noqa: E402

DATA = ROOT.parent / "shared" / "data"
SUPPORTS, REFUTES, NEITHER = (LABELS.index(name) for name in ("supports", "refutes", "neither"))
# The in-domain files: their train part is trained on, calibration and test parts held out.
IN_DOMAIN_SETS = {
    "healthver": DATA / "verification" / "healthver_dev.jsonl",
    "climate_fever": DATA / "verification" / "climate_fever_dev_pairs.jsonl",
}
IN_DOMAIN_GOLD = {
    "supports": SUPPORTS,
    "refutes": REFUTES,
    "neutral": NEITHER,
    "not_enough_info": NEITHER,
}


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def in_domain(path: Path) -> dict[str, list[tuple[str, str, int]]]:
    parts: dict[str, list[tuple[str, str, int]]] = {"train": [], "calibration": [], "test": []}
    for row in read_jsonl(path):
        raw = str(row.get("label", row.get("evidence_label", ""))).strip().lower()
        if raw not in IN_DOMAIN_GOLD:
            continue
        parts[claim_split(claim_group(row))].append((row["claim"], row["evidence"], IN_DOMAIN_GOLD[raw]))
    return parts


def in_domain_files() -> list[dict[str, str]]:
    """The files whose train part the model saw: `evaluate stance` scores only their test part."""
    import hashlib

    return [
        {
            "file": f"verification/{path.name}",
            "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
            "split": "claims.evaluation.splits.claim_split (train 70 %, calibration 10 %, test 20 %)",
        }
        for path in IN_DOMAIN_SETS.values()
    ]


def macro_f1(predicted: np.ndarray, gold: np.ndarray) -> float:
    scores = []
    for label in range(len(LABELS)):
        tp = int(((predicted == label) & (gold == label)).sum())
        fp = int(((predicted == label) & (gold != label)).sum())
        fn = int(((predicted != label) & (gold == label)).sum())
        scores.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return float(np.mean(scores))


def fit_temperature(logits: np.ndarray, gold: np.ndarray) -> float:
    """The temperature that minimises the negative log-likelihood on the calibration part."""
    best = (math.inf, 1.0)
    for temperature in np.arange(0.5, 3.01, 0.05):
        scaled = logits / temperature
        scaled = scaled - scaled.max(axis=1, keepdims=True)
        log_probs = scaled - np.log(np.exp(scaled).sum(axis=1, keepdims=True))
        nll = float(-log_probs[np.arange(len(gold)), gold].mean())
        best = min(best, (nll, float(temperature)))
    return round(best[1], 2)


def _calibration_logits() -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """The shipped model's raw logits (numpy path) and gold labels on each calibration part."""
    from text import stance_model

    logits, gold = {}, {}
    for name, path in IN_DOMAIN_SETS.items():
        pairs = in_domain(path)["calibration"]
        logits[name] = stance_model.logits([(c, p) for c, p, _ in pairs])
        gold[name] = np.array([label for _, _, label in pairs])
    return logits, gold


def fit_decision(out: Path) -> None:
    """Class offsets (refutes, neither; supports fixed at 0) maximising the mean macro-F1 of the two
    calibration parts, then the temperature for calibrated probabilities; written into the card."""
    logits, gold = _calibration_logits()
    grid = np.arange(-2.0, 2.01, 0.25)
    best = (-1.0, (0.0, 0.0))
    for refutes in grid:
        for neither in grid:
            bias = np.array([0.0, refutes, neither], dtype=np.float32)
            mean = float(np.mean([macro_f1((logits[n] + bias).argmax(1), gold[n]) for n in logits]))
            # Ties go to the smaller correction.
            if mean > best[0] + 1e-9 or (
                abs(mean - best[0]) < 1e-9 and abs(refutes) + abs(neither) < sum(map(abs, best[1]))
            ):
                best = (mean, (float(refutes), float(neither)))
    bias = np.array([0.0, *best[1]], dtype=np.float32)
    all_logits = np.concatenate([logits[n] + bias for n in logits])
    temperature = fit_temperature(all_logits, np.concatenate(list(gold.values())))
    card_path = out / "stance-minilm-l6.json"
    card = json.loads(card_path.read_text(encoding="utf-8"))
    before = {n: round(macro_f1(logits[n].argmax(1), gold[n]), 3) for n in logits}
    after = {n: round(macro_f1((logits[n] + bias).argmax(1), gold[n]), 3) for n in logits}
    card.update(
        class_bias=[round(float(x), 2) for x in bias],
        temperature=temperature,
        decision_fit={"calibration_macro_f1_before": before, "calibration_macro_f1_after": after},
    )
    card_path.write_text(json.dumps(card, indent=1) + "\n", encoding="utf-8")
    print(
        json.dumps(
            {"class_bias": card["class_bias"], "temperature": temperature, "before": before, "after": after}
        )
    )


# The abstention variants the report compares: which of the model's top classes may become "unclear".
ABSTENTION_VARIANTS = {
    "never": frozenset(),
    "supports": frozenset({"supports"}),
    "supports+refutes": frozenset({"supports", "refutes"}),
    "every class": frozenset({"supports", "refutes", "unrelated"}),
}


def calibration_report() -> None:
    """How the shipped decision rule was chosen: strict macro-F1 on the calibration part of each in-domain
    set, and their mean (the selection criterion), for the bare argmax, the exact-fact overrides, which
    top classes abstain and at which threshold; then, for the shipped rule, what each override and each
    abstention did to the argmax's answers, per gold class. The test part is never looked at here."""
    from claims.evaluation.stance import score, similarities
    from claims.stance import MODEL_LABELS, compare, heuristic_stance, model_stance
    from text import stance_model

    gold_names = {SUPPORTS: "supports", REFUTES: "refutes", NEITHER: "unrelated"}
    sets = {}
    for name, path in IN_DOMAIN_SETS.items():
        pairs = in_domain(path)["calibration"]
        text_pairs = [(c, p) for c, p, _ in pairs]
        comparisons = [
            compare(c, p, similarity=s)
            for (c, p), s in zip(text_pairs, similarities(text_pairs), strict=True)
        ]
        gold = [gold_names[label] for _, _, label in pairs]
        sets[name] = (comparisons, stance_model.probabilities(text_pairs), gold)
        rules = score([heuristic_stance(c)[0] for c in comparisons], gold)["macro_f1"]
        print(f"{name} calibration part: {len(pairs)} pairs {dict(Counter(gold))}; rules alone {rules:.3f}")

    def scores(**options) -> dict[str, dict[str, float]]:
        return {
            name: score(
                [model_stance(c, p, **options)[0] for c, p in zip(comparisons, probabilities, strict=True)],
                gold,
            )
            for name, (comparisons, probabilities, gold) in sets.items()
        }

    print("\nstrict macro-F1 (unclear share) per calibration part, and their mean")
    for overrides in (False, True):
        for variant, labels in ABSTENTION_VARIANTS.items():
            for threshold in (0.35, 0.4, 0.45, 0.5) if labels else (0.0,):
                result = scores(overrides=overrides, unclear_below=threshold, abstains_on=labels)
                cells = "  ".join(
                    f"{name} {s['macro_f1']:.3f} ({s['unclear_share']:.2f})" for name, s in result.items()
                )
                mean = np.mean([s["macro_f1"] for s in result.values()])
                print(
                    f"  overrides={overrides!s:5} abstains on {variant:16} below {threshold:.2f}: "
                    f"{cells}  mean {mean:.4f}"
                )

    # The figure guard (claims.stance._surely_a_figure) off: the override acts on every numbers_conflict.
    plain = {}
    for name, (comparisons, probabilities, gold) in sets.items():
        unguarded = [
            replace(
                c,
                figures_conflict=bool(c.features["numbers_conflict"]),
                differing_claim_number=c.claim_number,
                differing_passage_number=c.passage_number,
            )
            for c in comparisons
        ]
        predicted = [model_stance(c, p)[0] for c, p in zip(unguarded, probabilities, strict=True)]
        plain[name] = score(predicted, gold)["macro_f1"]
    cells = "  ".join(f"{name} {value:.3f}" for name, value in plain.items())
    mean = np.mean(list(plain.values()))
    print(f"  shipped abstention, overrides without the figure guard: {cells}  mean {mean:.4f}")

    print("\nthe shipped rule against the argmax: (argmax -> shipped, why, gold): pairs")
    for name, (comparisons, probabilities, gold) in sets.items():
        changes: Counter = Counter()
        for c, p, g in zip(comparisons, probabilities, gold, strict=True):
            argmax = MODEL_LABELS[int(np.argmax(p))]
            label, reason = model_stance(c, p)
            if label != argmax:
                why = "abstained" if reason.startswith("model: ") else reason.split(":")[0]
                why = "years differ" if why.startswith("claim says") else why
                effect = "right" if argmax == g else "wrong"
                effect += " -> " + ("right" if label == g else "wrong")
                changes[(f"{argmax} -> {label}", why, f"gold {g}", effect)] += 1
        print(f"  {name}:")
        for change, count in changes.most_common():
            print(f"    {count:3}  {' · '.join(change)}")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=ROOT / "text" / "models")
    parser.add_argument("--fit-decision", action="store_true", help="refit class offsets and temperature")
    parser.add_argument("--calibration-report", action="store_true", help="score the decision variants")
    args = parser.parse_args()
    if args.fit_decision:
        fit_decision(args.out)
    if args.calibration_report or not args.fit_decision:
        calibration_report()


if __name__ == "__main__":
    main()
