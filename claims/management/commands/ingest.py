"""`manage.py ingest (--url URL | --file FILE.html | --text-file FILE.txt) [--title T] [--wait] [--json]`."""

import json
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.db.models import Prefetch, QuerySet

from claims.models import Article, Claim, Evidence
from claims.selectors.fact_checks import fact_check_as_dict, fact_checks_prefetch
from claims.services.articles import SubmissionError, article_submit
from factcheck.queueing import tasks_run_here


class Command(BaseCommand):
    help = "Submit one article; with --wait run the whole pipeline in this process (no worker needed)."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--url", help="fetch the article from this URL")
        source.add_argument("--file", type=Path, help="an HTML file")
        source.add_argument("--text-file", type=Path, help="a plain-text file (pasted text)")
        parser.add_argument("--title", default="", help="title to use instead of the extracted one")
        parser.add_argument("--wait", action="store_true", help="run every step now, in this process")
        parser.add_argument("--json", action="store_true", help="print the result as one JSON object")

    def handle(self, *args, **options) -> None:
        html = _read(options["file"]) if options["file"] else ""
        text = _read(options["text_file"]) if options["text_file"] else ""
        # With --wait the tasks a worker would run (fetch, analyse, the linked pages, matching) run
        # here, sent the same way, one after another; without it they go to the workers.
        runner = tasks_run_here() if options["wait"] else nullcontext()
        try:
            with runner, transaction.atomic():
                article = article_submit(
                    url=options["url"] or "", html=html, text=text, title=options["title"]
                )
        except SubmissionError as exc:
            raise CommandError(str(exc)) from exc
        article = Article.objects.get(pk=article.pk)

        if options["json"]:
            self.stdout.write(json.dumps(article_as_dict(article), ensure_ascii=False, indent=2))
        else:
            self.stdout.write(f"Article {article.pk}: {article.status}")
            if article.error:
                self.stdout.write(self.style.ERROR(article.error))
            for claim in article.claims.order_by("start"):
                self.stdout.write(f"  [{claim.score:.2f}] {claim.text}")
        if article.status == Article.Status.FAILED:
            raise CommandError(article.error or "the pipeline failed")


def _read(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
    if b"\x00" in raw[:4096]:
        raise CommandError(f"{path} looks like a binary file, not text or HTML.")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise CommandError(f"{path} is not readable text in any known encoding.") from None
        return str(best)


# --- the --json output: the article and its claims with their evidence, as a script would read them ---


def article_claims(article: Article) -> QuerySet[Claim]:
    evidence = Evidence.objects.select_related("passage", "snapshot__source").order_by("-score")
    return article.claims.order_by("start").prefetch_related(
        Prefetch("evidence", queryset=evidence), fact_checks_prefetch()
    )


def claim_as_dict(claim: Claim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "text": claim.text,
        "start": claim.start,
        "end": claim.end,
        "score": claim.score,
        "reasons": claim.reasons,
        "features": claim.features,
        "quantities": claim.quantities,
        "dates": claim.dates,
        "entities": claim.entities,
        "status": claim.status,
        "evidence": [
            {
                "id": item.pk,
                "source_url": item.snapshot.source.url,
                "passage": item.passage.text,
                "score": item.score,
                "stance": item.confirmed_stance or item.suggested_stance,
                "stance_reason": item.stance_reason,
                "snapshot_fetched_at": item.snapshot.fetched_at.isoformat(),
            }
            for item in claim.evidence.all()
        ],
        # Published reviews of the same claim from the library: confirmed first, then suggestions.
        "fact_checks": [fact_check_as_dict(match) for match in claim.visible_fact_checks],
    }


def article_as_dict(article: Article) -> dict[str, Any]:
    return {
        "article": {
            "id": article.pk,
            "status": article.status,
            "title": article.title,
            "byline": article.byline,
            "url": article.url,
            "published_on": article.published_on.isoformat() if article.published_on else None,
            "language": article.language,
            "text": article.text,
            "error": article.error,
            "progress": article.progress,
            "sentences": article.sentences.count(),
        },
        "claims": [claim_as_dict(claim) for claim in article_claims(article)],
    }
