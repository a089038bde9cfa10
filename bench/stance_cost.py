"""What the stance model costs: pairs per second on one core, and the pipeline with evidence, model or rules.

    make bench          (or: DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/stance_cost.py)

1. Stance alone, on 256 HealthVer pairs: the cross-encoder (one BLAS thread: one core) against the rules it
   replaced as the default (the baseline), same pairs, same run.
2. The pipeline as `ingest --wait` runs it (the workers' tasks, in this process), on articles whose sentences
   are LIAR-PLUS statements while the LIAR-PLUS justifications of those statements are stored, indexed
   sources: so most claims have passages that pass the relevance gate and get a stance. A typical article
   (13 statements) and a claim-dense one (~41), each run with the model and with the rules alone,
   alternating. "claims visible" is when the claims are committed (the article's matching step starts);
   "done" is when evidence and stances are stored.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from unittest import mock

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "factcheck.settings")
os.environ.setdefault("FACTCHECK_DEV", "true")

import django

django.setup()

from claims import pipeline  # noqa: E402
from claims import stance as claim_stance  # noqa: E402
from claims.models import Article, Evidence  # noqa: E402
from claims.services.articles import article_submit  # noqa: E402
from factcheck.queueing import tasks_run_here  # noqa: E402
from sources.extraction import ExtractedDocument  # noqa: E402
from sources.models import Snapshot, Source  # noqa: E402
from sources.passages import snapshot_index, vectors_enabled  # noqa: E402
from sources.services import snapshot_record  # noqa: E402
from text import stance_model  # noqa: E402

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"
SOURCE_PREFIX = "https://stance-bench.example.org/liar/"
RUNS = 6


def liar_rows() -> list[dict]:
    rows = [
        json.loads(line) for line in open(SHARED / "verification" / "liar_plus_val.jsonl", encoding="utf-8")
    ]
    return [row for row in rows if row.get("statement") and len(row.get("justification") or "") > 200]


def stance_alone() -> list[str]:
    rows = [
        json.loads(line) for line in open(SHARED / "verification" / "healthver_dev.jsonl", encoding="utf-8")
    ]
    pairs = [(row["claim"], row["evidence"]) for row in rows[:256]]
    stance_model.logits(pairs[:8])  # load once, as a worker does on its first article
    started = time.perf_counter()
    stance_model.probabilities(pairs, blas_threads=1)
    model_rate = len(pairs) / (time.perf_counter() - started)
    started = time.perf_counter()
    claim_stance.suggest_stances([(c, p, None) for c, p in pairs], use_model=False)
    rules_rate = len(pairs) / (time.perf_counter() - started)
    return [
        "| what | pairs/s |",
        "|---|---|",
        f"| cross-encoder, numpy, one BLAS thread (256 HealthVer pairs, ≤ 128 pieces) | {model_rate:.1f} |",
        f"| baseline: rules alone | {rules_rate:.0f} |",
        "",
        f"The model is {rules_rate / model_rate:.0f}× slower than the rules per pair.",
    ]


def drop_bench_sources() -> None:
    # Snapshots are protected from a source's deletion (a verdict may rest on one): remove them first.
    Snapshot.objects.filter(source__url__startswith=SOURCE_PREFIX).delete()
    Source.objects.filter(url__startswith=SOURCE_PREFIX).delete()


def seed_sources(rows: list[dict]) -> None:
    drop_bench_sources()
    for i, row in enumerate(rows):
        source = Source.objects.create(
            url=f"{SOURCE_PREFIX}{i}", domain="stance-bench.example.org", origin=Source.Origin.FEED
        )
        snapshot, _ = snapshot_record(
            source=source, result=None, document=ExtractedDocument(text=row["justification"]), raw_body=b""
        )
        snapshot_index(snapshot)


def articles(rows: list[dict], statements_each: int, count: int) -> list[str]:
    texts = []
    for n in range(count):
        chosen = rows[n * statements_each : (n + 1) * statements_each]
        paragraphs = [
            " ".join(row["statement"].strip() for row in chosen[i : i + 3]) for i in range(0, len(chosen), 3)
        ]
        texts.append("Stance bench article\n\n" + "\n\n".join(paragraphs))
    return texts


def run_one(text: str, *, use_model: bool) -> tuple[float, float, int, int]:
    """(seconds to claims visible, seconds to done, claims, evidence rows) for one article."""
    marks: dict[str, float] = {}
    real_match = pipeline.article_match

    def timed_match(article: Article, **options: object) -> None:
        marks["claims"] = time.perf_counter()
        real_match(article, **options)

    with (
        mock.patch.object(pipeline, "article_match", timed_match),
        mock.patch.object(stance_model, "model_available", lambda: use_model),
    ):
        started = time.perf_counter()
        with tasks_run_here():
            article = article_submit(text=text)
        done = time.perf_counter()
    article = Article.objects.get(pk=article.pk)
    assert article.status == Article.Status.DONE, article.error
    claims = article.claims.count()
    evidence = Evidence.objects.filter(claim__article=article).count()
    article.delete()
    return marks["claims"] - started, done - started, claims, evidence


def pipeline_table(rows: list[dict]) -> list[str]:
    lines = [
        "| article | stance by | claims | evidence rows | claims visible p50 s | done p50 s | done p95 s |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, each in (("typical (13 statements)", 13), ("claim-dense (41 statements)", 41)):
        texts = articles(rows, each, RUNS + 1)
        run_one(texts[0], use_model=True)  # warm-up: model loading, first queries
        results: dict[bool, list[tuple[float, float, int, int]]] = {True: [], False: []}
        for text in texts[1:]:
            for use_model in (True, False):
                results[use_model].append(run_one(text, use_model=use_model))
        for use_model in (True, False):
            runs = results[use_model]
            visible = statistics.median(r[0] for r in runs)
            done = sorted(r[1] for r in runs)
            lines.append(
                f"| {label} | {'model' if use_model else 'rules (baseline)'} "
                f"| {statistics.mean(r[2] for r in runs):.0f} | {statistics.mean(r[3] for r in runs):.0f} "
                f"| {visible:.2f} | {statistics.median(done):.2f} | {done[-1]:.2f} |"
            )
    return lines


def main() -> None:
    rows = liar_rows()
    needed = (RUNS + 1) * 41
    seed_sources(rows[:needed])
    print("## Stance cost (bench/stance_cost.py)\n")
    print("\n".join(stance_alone()))
    print(
        f"\nPipeline with evidence ({'pgvector' if vectors_enabled() else 'full-text only, no pgvector'}), "
        f"{needed} LIAR-PLUS justifications stored as indexed sources, {RUNS} articles of each size, one "
        "process:\n"
    )
    print("\n".join(pipeline_table(rows)))
    drop_bench_sources()


if __name__ == "__main__":
    main()
