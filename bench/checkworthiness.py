"""Check-worthiness of the shipped model on the shared sets, beside TF-IDF + logistic regression
cross-validated on each set in the same run (`claims.evaluation.checkworthiness`).

The honest, cross-validated numbers of the model itself come from bench/fit_checkworthiness.py;
on sets the model was trained on, these numbers flatter it (marked in the table).

    .venv/bin/python bench/checkworthiness.py [--clef-test-gold FOLDER]

FOLDER is the CLEF 2020 task 5 test set with its labels, never used for fitting: the 20 debates'
TSV files (line, speaker, text, label) unpacked from test-input/test-gold.zip of the public
sshaar/clef2020-factchecking-task5 repository. They are turned into rows of the shared CLEF shape in
a temporary file and scored by the shipped model, beside TF-IDF + LR cross-validated on them.
"""

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "true")

import django

django.setup()

from claims.evaluation.checkworthiness import evaluate  # noqa: E402

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "checkworthiness"
SETS = ["clef2020_tweets_dev.jsonl", "clef2020_tweets_train.jsonl", "claimbuster_2.5xNCS.jsonl"]


def clef_test_rows(folder: Path) -> list[dict[str, object]]:
    """The task's TSV files (line number, speaker, text, label; one file per debate) as rows."""
    rows: list[dict[str, object]] = []
    for path in sorted(folder.glob("*.tsv")):
        for line in path.read_text(encoding="utf-8").splitlines():
            number, speaker, *text, label = line.split("\t")
            rows.append(
                {
                    "debate_id": path.stem,
                    "line_number": int(number),
                    "speaker": speaker,
                    "text": "\t".join(text),
                    "label": int(label),
                }
            )
    if not rows:
        raise SystemExit(f"no .tsv debate files in {folder}")
    return rows


def _row(name: str, result: dict) -> str:
    base = result["baseline"]
    ratio = result["f1"] / base["f1"] if base.get("f1") else float("nan")
    fmt = lambda v: "–" if v is None else f"{v:.3f}"  # noqa: E731
    return (
        f"| {name} | {result['rows']} | {'yes' if result.get('trained_on_this_data') else 'no'} "
        f"| {fmt(result['f1'])} | {fmt(base.get('f1'))} | {ratio:.2f} "
        f"| {fmt(result.get('map'))} | {fmt(base.get('map'))} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--clef-test-gold", type=Path, help="folder of the CLEF 2020 task 5 test TSVs")
    args = parser.parse_args()
    print("## Check-worthiness (shipped model vs TF-IDF + LR cross-validated on the same set)\n")
    print("| set | rows | trained on it? | F1 | baseline F1 | ratio | MAP | baseline MAP |")
    print("|---|---|---|---|---|---|---|---|")
    for name in SETS:
        print(_row(name, evaluate(DATA / name)))
    if args.clef_test_gold:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "clef2020_debates_test.jsonl"
            with path.open("w", encoding="utf-8") as out:
                out.writelines(json.dumps(row) + "\n" for row in clef_test_rows(args.clef_test_gold))
            print(_row("CLEF 2020 debates test (held out)", evaluate(path)))
    print()


if __name__ == "__main__":
    main()
