"""Check-worthiness of the shipped model on the shared sets, beside TF-IDF + logistic regression
cross-validated on each set in the same run (`claims.evaluation.checkworthiness`).

The honest, cross-validated numbers of the model itself come from bench/fit_checkworthiness.py;
on sets the model was trained on, these numbers flatter it (marked in the table).
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "true")

import django

django.setup()

from claims.evaluation.checkworthiness import evaluate  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "checkworthiness"
SETS = ["clef2020_tweets_dev.jsonl", "clef2020_tweets_train.jsonl", "claimbuster_2.5xNCS.jsonl"]


def main() -> None:
    print("## Check-worthiness (shipped model vs TF-IDF + LR cross-validated on the same set)\n")
    print("| set | rows | trained on it? | F1 | baseline F1 | ratio | MAP | baseline MAP |")
    print("|---|---|---|---|---|---|---|---|")
    for name in SETS:
        result = evaluate(DATA / name)
        base = result["baseline"]
        ratio = result["f1"] / base["f1"] if base.get("f1") else float("nan")
        fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
        print(
            f"| {name} | {result['rows']} | {'yes' if result.get('trained_on_this_data') else 'no'} "
            f"| {fmt(result['f1'])} | {fmt(base.get('f1'))} | {ratio:.2f} "
            f"| {fmt(result.get('map'))} | {fmt(base.get('map'))} |"
        )
    print()


if __name__ == "__main__":
    main()
