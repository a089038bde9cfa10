"""Score main-text extraction on files shaped like the shared extraction sets.

Two label formats are read, row by row:

- `gold_text` (CleanEval, Dragnet): token bag-of-words precision / recall / F1 per page,
  averaged over pages (micro totals are reported too);
- `with` / `without` snippet lists (trafilatura's evaluation set), scored the way
  trafilatura's own comparison does: a `with` snippet present is a true positive, missing a
  false negative; a `without` snippet present is a false positive, absent a true negative.

Beside our cascade, every single extractor it is built from is scored in the same run, as
its library ships it: trafilatura with its defaults (the required baseline) and with
comments off, readability-lxml, and jusText (the stoplist of the page's language). The
result says whether ours is above the best of them (`best_single`).

Each row's page is extracted before its labels are looked at, so a held-out file can be
scored without anything learning from it.
"""

from __future__ import annotations

import base64
import gzip
import json
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import trafilatura
from charset_normalizer import from_bytes

from sources.extraction import extract_html, justext_paragraphs, readability_paragraphs
from text.language import detect_language

TOKEN_METRIC = (
    "token bag-of-words precision/recall/F1 (casefolded \\w+ tokens, multiset overlap), averaged over pages"
)
SNIPPET_METRIC = (
    "snippet precision/recall/F1 as in trafilatura's evaluation (with-snippet found = TP, "
    "missing = FN; without-snippet found = FP, absent = TN; whitespace-collapsed substring "
    "match; counts summed over pages)"
)
_TOKEN = re.compile(r"\w+")
_SPACE = re.compile(r"\s+")


@dataclass
class PageInput:
    html: str
    url: str | None


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", encoding="utf-8")
    return path.open(encoding="utf-8")


def iter_rows(path: Path) -> Iterator[dict[str, Any]]:
    with _open(path) as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def _decode(raw: bytes, encoding: str | None) -> str:
    if encoding:
        try:
            return raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            pass
    best = from_bytes(raw).best()
    return str(best) if best is not None else raw.decode("utf-8", errors="replace")


def page_input(row: dict[str, Any]) -> PageInput:
    """The page alone: what a fetcher would have. Never touches the label fields."""
    html = row.get("html")
    encoded = row.get("html_base64") or row.get("html_b64")
    if encoded:
        html = _decode(base64.b64decode(encoded), row.get("html_encoding"))
    elif isinstance(html, bytes):
        html = _decode(html, row.get("html_encoding"))
    url = row.get("url")
    # trafilatura's set names pages "hard::site-file.html": an id, not an address.
    if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
        url = None
    return PageInput(html=html or "", url=url)


def _tokens(text: str) -> Counter[str]:
    return Counter(_TOKEN.findall(text.casefold()))


def _collapse(text: str) -> str:
    return _SPACE.sub(" ", text).strip()


def _ratio(num: float, den: float) -> float:
    return num / den if den else 0.0


def _f1(precision: float, recall: float) -> float:
    return _ratio(2 * precision * recall, precision + recall)


class Scorer:
    """Accumulates one system's scores over rows of either label format."""

    def __init__(self) -> None:
        self.token_pages: list[tuple[float, float, float]] = []
        self.overlap = self.predicted = self.gold = 0
        self.tp = self.fn = self.fp = self.tn = 0

    def add(self, prediction: str, row: dict[str, Any]) -> None:
        if "gold_text" in row:
            self._add_tokens(prediction, row["gold_text"] or "")
        elif "with" in row or "without" in row:
            self._add_snippets(prediction, row.get("with") or [], row.get("without") or [])

    def _add_tokens(self, prediction: str, gold: str) -> None:
        pred, ref = _tokens(prediction), _tokens(gold)
        overlap, n_pred, n_gold = sum((pred & ref).values()), pred.total(), ref.total()
        self.overlap += overlap
        self.predicted += n_pred
        self.gold += n_gold
        if not n_pred and not n_gold:
            # Nothing to find and nothing found is a perfect page.
            self.token_pages.append((1.0, 1.0, 1.0))
            return
        precision, recall = _ratio(overlap, n_pred), _ratio(overlap, n_gold)
        self.token_pages.append((precision, recall, _f1(precision, recall)))

    def _add_snippets(self, prediction: str, wanted: list[str], unwanted: list[str]) -> None:
        text = _collapse(prediction)
        for snippet in wanted:
            if _collapse(snippet) in text:
                self.tp += 1
            else:
                self.fn += 1
        for snippet in unwanted:
            if _collapse(snippet) in text:
                self.fp += 1
            else:
                self.tn += 1

    @property
    def metric(self) -> str:
        if self.token_pages and (self.tp or self.fn or self.fp or self.tn):
            raise ValueError("the file mixes gold_text rows with with/without rows")
        if self.token_pages:
            return TOKEN_METRIC
        return SNIPPET_METRIC if (self.tp or self.fn or self.fp or self.tn) else "none (no labels)"

    def scores(self) -> dict[str, Any]:
        metric = self.metric
        if metric == TOKEN_METRIC:
            n = len(self.token_pages)
            precision = sum(p for p, _, _ in self.token_pages) / n
            recall = sum(r for _, r, _ in self.token_pages) / n
            micro_p, micro_r = _ratio(self.overlap, self.predicted), _ratio(self.overlap, self.gold)
            return {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(sum(f for _, _, f in self.token_pages) / n, 4),
                "micro": {
                    "precision": round(micro_p, 4),
                    "recall": round(micro_r, 4),
                    "f1": round(_f1(micro_p, micro_r), 4),
                },
            }
        if metric == SNIPPET_METRIC:
            precision = _ratio(self.tp, self.tp + self.fp)
            recall = _ratio(self.tp, self.tp + self.fn)
            total = self.tp + self.fn + self.fp + self.tn
            return {
                "precision": round(precision, 4),
                "recall": round(recall, 4),
                "f1": round(_f1(precision, recall), 4),
                "accuracy": round(_ratio(self.tp + self.tn, total), 4),
                "counts": {"tp": self.tp, "fn": self.fn, "fp": self.fp, "tn": self.tn},
            }
        return {"precision": None, "recall": None, "f1": None}


def predict(page: PageInput) -> str:
    """Our cascade's main text for one page, as the product stores it."""
    return extract_html(page.html, url=page.url).text


def baseline_predict(page: PageInput) -> str:
    """trafilatura with its library defaults: what a first integration would do."""
    return trafilatura.extract(page.html, url=page.url) or ""


def trafilatura_no_comments_predict(page: PageInput) -> str:
    """trafilatura with comments off, as the cascade calls it, without anything of ours."""
    return trafilatura.extract(page.html, url=page.url, include_comments=False) or ""


def readability_predict(page: PageInput) -> str:
    """readability-lxml alone: its summary's text."""
    return "\n\n".join(readability_paragraphs(page.html))


def _page_language(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=[\"']?([A-Za-z]{2})\b", html[:5000], re.I)
    if match:
        return match.group(1).lower()
    return detect_language(trafilatura.baseline(html)[1]) if html.strip() else ""


def justext_predict(page: PageInput) -> str:
    """jusText alone with its default settings and the stoplist of the page's language."""
    return "\n\n".join(justext_paragraphs(page.html, _page_language(page.html) or "en"))


# The single extractors scored beside ours; the first is the required baseline.
BASELINES: dict[str, Callable[[PageInput], str]] = {
    "trafilatura defaults": lambda page: baseline_predict(page),
    "trafilatura comments off": lambda page: trafilatura_no_comments_predict(page),
    "readability-lxml": lambda page: readability_predict(page),
    "jusText": lambda page: justext_predict(page),
}


def dataset_name(path: Path) -> str:
    name = path.name
    for suffix in (".gz", ".jsonl", ".json"):
        name = name.removesuffix(suffix)
    return name


def evaluate(dataset: Path, *, predictions: Path | None = None) -> dict[str, Any]:
    """Extraction metrics of our cascade and of each single extractor on `dataset`."""
    dataset = Path(dataset)
    started = time.perf_counter()
    ours = Scorer()
    singles = {name: Scorer() for name in BASELINES}
    ours_seconds = 0.0
    single_seconds = dict.fromkeys(BASELINES, 0.0)
    rows = 0
    out = predictions.open("w", encoding="utf-8") if predictions else None
    try:
        for row in iter_rows(dataset):
            page = page_input(row)
            tick = time.perf_counter()
            text = predict(page)
            ours_seconds += time.perf_counter() - tick
            single_texts = {}
            for name, system in BASELINES.items():
                tick = time.perf_counter()
                single_texts[name] = system(page)
                single_seconds[name] += time.perf_counter() - tick
            if out is not None:
                out.write(json.dumps({"text": text}, ensure_ascii=False) + "\n")
            # Labels are read only now, after every system has answered.
            ours.add(text, row)
            for name, single_text in single_texts.items():
                singles[name].add(single_text, row)
            rows += 1
    finally:
        if out is not None:
            out.close()

    scores = ours.scores()
    baselines = [
        {
            "name": name,
            **singles[name].scores(),
            "ms_per_page": round(1000 * single_seconds[name] / rows, 1) if rows else None,
        }
        for name in BASELINES
    ]
    f1, base_f1 = scores["f1"], baselines[0]["f1"]
    scored = [b for b in baselines if b["f1"] is not None]
    best = max(scored, key=lambda b: b["f1"]) if scored else None
    return {
        "task": "extraction",
        "dataset": dataset_name(dataset),
        "rows": rows,
        "metric": ours.metric,
        **scores,
        "baseline": baselines[0],
        "baselines": baselines,
        "best_single": (
            {
                "name": best["name"],
                "f1": best["f1"],
                "ours_above": f1 is not None and f1 > best["f1"],
                "margin_f1": round(f1 - best["f1"], 4) if f1 is not None else None,
            }
            if best is not None
            else None
        ),
        "ratio_f1_vs_baseline": round(f1 / base_f1, 4) if f1 is not None and base_f1 else None,
        "seconds": round(time.perf_counter() - started, 2),
        "timing": {
            "ours_seconds": round(ours_seconds, 2),
            "baseline_seconds": round(single_seconds[next(iter(BASELINES))], 2),
            "ours_ms_per_page": round(1000 * ours_seconds / rows, 1) if rows else None,
            "trafilatura_ms_per_page": (
                round(1000 * single_seconds["trafilatura comments off"] / rows, 1) if rows else None
            ),
        },
    }
