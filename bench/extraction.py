"""Main-text extraction on every shared extraction set: our cascade vs trafilatura defaults.

    .venv/bin/python bench/extraction.py [--data DIR] [--jobs N] [--json OUT]

Prints a Markdown table for bench/RESULTS.md. Beside the required baseline (trafilatura
with its library defaults) it scores trafilatura with comments off, so the table shows how
much of the gain is the comments setting and how much is our own work.
Remember that trafilatura's defaults were tuned on trafilatura_eval: it flatters them.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

import trafilatura  # noqa: E402

from claims.evaluation.extraction import (  # noqa: E402
    Scorer,
    evaluate,
    iter_rows,
    page_input,
)

DEFAULT_DATA = REPO / ".." / "shared" / "data" / "extraction"
SETS = ("cleaneval_dev", "dragnet_a", "trafilatura_eval_a", "trafilatura_eval_b")


def _comments_off_reference(dataset: Path) -> dict[str, Any]:
    scorer = Scorer()
    started = time.perf_counter()
    for row in iter_rows(dataset):
        page = page_input(row)
        text = trafilatura.extract(page.html, url=page.url, include_comments=False) or ""
        scorer.add(text, row)
    return {**scorer.scores(), "seconds": round(time.perf_counter() - started, 2)}


def run_one(dataset: Path) -> dict[str, Any]:
    # trafilatura logs every page it discards; the scores say it better.
    logging.disable(logging.WARNING)
    result = evaluate(dataset)
    result["comments_off"] = _comments_off_reference(dataset)
    return result


def _prf(scores: dict[str, Any]) -> str:
    return f"{scores['precision']:.3f} / {scores['recall']:.3f} / {scores['f1']:.3f}"


def markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| set | rows | metric | ours P / R / F1 | trafilatura defaults P / R / F1 "
        "| F1 ratio | trafilatura comments off P / R / F1 | ours rows/s | defaults rows/s |",
        "|---|---:|---|---|---|---:|---|---:|---:|",
    ]
    for r in results:
        metric = "tokens" if r["metric"].startswith("token") else "snippets"
        timing = r["timing"]
        lines.append(
            f"| {r['dataset']} | {r['rows']} | {metric} | {_prf(r)} | {_prf(r['baseline'])} "
            f"| {r['ratio_f1_vs_baseline']:.3f} | {_prf(r['comments_off'])} "
            f"| {r['rows'] / max(timing['ours_seconds'], 1e-9):.1f} "
            f"| {r['rows'] / max(timing['baseline_seconds'], 1e-9):.1f} |"
        )
    lines.append("")
    lines.append(
        "tokens: bag-of-words P/R/F1 per page (casefolded \\w+ tokens), averaged over pages; "
        "snippets: trafilatura's own with/without snippet counts, summed over pages. "
        "rows/s: ours includes metadata (title, byline, date, links, language), the defaults "
        "baseline extracts text only."
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder of the sets")
    parser.add_argument("--jobs", type=int, default=1, help="sets scored in parallel")
    parser.add_argument("--json", type=Path, help="also write the raw results here")
    args = parser.parse_args()

    datasets = [args.data / f"{name}.jsonl.gz" for name in SETS]
    missing = [str(d) for d in datasets if not d.exists()]
    if missing:
        parser.error(f"missing data sets: {', '.join(missing)}")
    # rows/s are per process; with --jobs > 1 the sets compete for the cores.
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run_one, datasets))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(markdown(results))


if __name__ == "__main__":
    main()
