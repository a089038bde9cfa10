"""Main-text extraction on every shared extraction set: our cascade vs each single extractor.

    .venv/bin/python bench/extraction.py [--data DIR] [--jobs N] [--json OUT] [--half even|odd]

Prints a Markdown table for bench/RESULTS.md: ours beside trafilatura (defaults, the
required baseline, and comments off, as the cascade calls it), readability-lxml and jusText,
all measured in the same run, with the best single extractor per set and time per page.
`--half` scores only the even or odd rows (by position in the file): constants were chosen
on the even rows, the odd rows check them.
Remember that trafilatura's defaults were tuned on trafilatura_eval: it flatters them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from claims.evaluation.extraction import evaluate, iter_rows  # noqa: E402

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "extraction"
SETS = ("cleaneval_dev", "dragnet_a", "trafilatura_eval_a", "trafilatura_eval_b")


def _half_file(dataset: Path, half: str, folder: Path) -> Path:
    """The even (0, 2, ...) or odd rows of `dataset`, as a file of the same name in `folder`."""
    keep = 0 if half == "even" else 1
    target = folder / dataset.name.removesuffix(".gz")
    with target.open("w", encoding="utf-8") as out:
        for i, row in enumerate(iter_rows(dataset)):
            if i % 2 == keep:
                out.write(json.dumps(row) + "\n")
    return target


def run_one(dataset: Path) -> dict[str, Any]:
    # The extractors log every page they discard; the scores say it better.
    logging.disable(logging.WARNING)
    return evaluate(dataset)


def _prf(scores: dict[str, Any]) -> str:
    return f"{scores['precision']:.3f} / {scores['recall']:.3f} / {scores['f1']:.3f}"


SHORT = {
    "trafilatura defaults": "trafilatura defaults",
    "trafilatura comments off": "trafilatura no comments",
    "readability-lxml": "readability-lxml",
    "jusText": "jusText",
}


def markdown(results: list[dict[str, Any]]) -> str:
    names = [b["name"] for b in results[0]["baselines"]]
    lines = [
        "| set | rows | metric | ours P / R / F1 | "
        + " | ".join(f"{SHORT.get(n, n)} P / R / F1" for n in names)
        + " | best single | ours − best F1 | ours ms/page | trafilatura ms/page |",
        "|---|---:|---|---|" + "---|" * len(names) + "---|---:|---:|---:|",
    ]
    for r in results:
        metric = "tokens" if r["metric"].startswith("token") else "snippets"
        best = r["best_single"]
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {metric} | **{_prf(r)}** | "
            + " | ".join(_prf(b) for b in r["baselines"])
            + f" | {best['name']} | {best['margin_f1']:+.4f} "
            f"| {r['timing']['ours_ms_per_page']:.0f} | {r['timing']['trafilatura_ms_per_page']:.0f} |"
        )
    lines.append("")
    lines.append(
        "tokens: bag-of-words P/R/F1 per page (casefolded \\w+ tokens), averaged over pages; "
        "snippets: trafilatura's own with/without snippet counts, summed over pages. "
        "ms/page: ours includes metadata (title, byline, date, links, language) and runs all three "
        "extractors; trafilatura is comments off, text only."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the sets")
    parser.add_argument("--jobs", type=int, default=1, help="sets scored in parallel")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    parser.add_argument("--half", choices=("even", "odd"), help="score only the even or the odd rows")
    args = parser.parse_args()

    datasets = [args.data / f"{name}.jsonl.gz" for name in SETS]
    missing = [str(d) for d in datasets if not d.exists()]
    if missing:
        parser.error(f"missing data sets: {', '.join(missing)}")
    # Times are per process; with --jobs > 1 the sets compete for the cores.
    with tempfile.TemporaryDirectory() as folder:
        if args.half:
            datasets = [_half_file(d, args.half, Path(folder)) for d in datasets]
        with ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_one, datasets))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
