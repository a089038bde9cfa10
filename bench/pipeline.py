"""Pipeline time for a 1,000-word article on one process (no network), beside a bare baseline.

The baseline is the least any pipeline must do: extract the text and split it into sentences.
Ours adds debris cleaning, check-worthiness scoring, quantities and the database writes.
Run with `make bench` (or with DATABASE_URL / REDIS_URL set): prints a markdown section.
"""

import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "true")

import django

django.setup()

from claims.models import Article  # noqa: E402
from claims.services.articles import article_submit  # noqa: E402
from factcheck.queueing import tasks_run_here  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared"
RUNS = 20


def thousand_word_articles(count: int) -> list[str]:
    """Articles of ~1,000 words built from real PolitiFact statements (read at run time)."""
    rows = [json.loads(line) for line in open(SHARED / "data/verification/liar_plus_val.jsonl")]
    statements = [row["statement"].strip() for row in rows if row.get("statement")]
    articles, cursor = [], 0
    for _ in range(count):
        paragraphs, words = [], 0
        while words < 1000:
            paragraph = " ".join(statements[cursor % len(statements) : cursor % len(statements) + 4])
            cursor += 4
            paragraphs.append(paragraph)
            words += len(paragraph.split())
        articles.append("Bench article\n\n" + "\n\n".join(paragraphs))
    return articles


def time_ours(texts: list[str]) -> list[float]:
    timings = []
    for text in texts:
        started = time.perf_counter()
        with tasks_run_here():  # as `ingest --wait` runs it: the worker's tasks, in this process
            article = article_submit(text=text)
        timings.append(time.perf_counter() - started)
        assert Article.objects.get(pk=article.pk).status == Article.Status.DONE
        article.delete()
    return timings


def time_baseline(texts: list[str]) -> list[float]:
    from text.sentences import split_sentences

    timings = []
    for text in texts:
        started = time.perf_counter()
        split_sentences(text.strip())
        timings.append(time.perf_counter() - started)
    return timings


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> None:
    texts = thousand_word_articles(RUNS + 2)
    time_ours(texts[:2])  # warm-up: model loading, first queries
    ours = time_ours(texts[2:])
    base = time_baseline(texts[2:])
    words = statistics.mean(len(t.split()) for t in texts[2:])
    print("## Pipeline time per 1,000-word article (one process, no network)\n")
    print(
        f"{RUNS} articles of ~{words:.0f} words built from LIAR-PLUS statements; database writes included.\n"
    )
    print("| what | p50 ms | p95 ms |")
    print("|---|---|---|")
    print(
        f"| full pipeline (clean, split, score, quantities, DB) | {percentile(ours, 0.5) * 1000:.0f} "
        f"| {percentile(ours, 0.95) * 1000:.0f} |"
    )
    print(
        f"| baseline: sentence split only | {percentile(base, 0.5) * 1000:.1f} "
        f"| {percentile(base, 0.95) * 1000:.1f} |"
    )
    print(f"\nRatio full / baseline (p50): {percentile(ours, 0.5) / max(percentile(base, 0.5), 1e-9):.1f}×\n")


if __name__ == "__main__":
    main()
