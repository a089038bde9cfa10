"""`manage.py import_factchecks PATH [--json]`: published schema.org ClaimReviews into the library.

Reads one JSON-LD object, a list, an `@graph`, a DataFeed (`dataFeedElement[].item[]`), JSON Lines of
any of those, or an HTML page with ld+json blocks (`.gz` files too). Idempotent by review URL.
"""

import gzip
import json
import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.claimreview_parsing import read_claim_reviews
from claims.models import FactCheck
from claims.services.factchecks import factchecks_import

# Files at least this big get a progress line on stderr.
PROGRESS_BYTES = 1_000_000
PROGRESS_EVERY = 500


def read_document(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror}") from exc
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise CommandError(f"{path} is not a readable gzip file: {exc}") from exc
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        from charset_normalizer import from_bytes

        best = from_bytes(raw).best()
        if best is None:
            raise CommandError(f"{path} is not readable text in any known encoding.") from None
        return str(best)


class Command(BaseCommand):
    help = "Import published ClaimReview markup (JSON-LD, DataFeed, JSON Lines or HTML) into the library."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--json", action="store_true", help="print the counts and skips as JSON")

    def handle(self, *args, **options) -> None:
        path: Path = options["path"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        text = read_document(path)
        progress = None
        if len(text) >= PROGRESS_BYTES:
            progress = self._progress_line
        report = factchecks_import(
            outcomes=read_claim_reviews(text),
            origin=FactCheck.Origin.IMPORT,
            origin_label=path.name,
            progress=progress,
        )
        if progress is not None:
            sys.stderr.write("\n")
        skipped = [{"position": item.position, "reason": item.reason} for item in report.skipped]
        if options["json"]:
            result = {
                "file": path.name,
                **report.counts(),
                "seconds": report.seconds,
                "skipped_items": skipped,
            }
            self.stdout.write(json.dumps(result, ensure_ascii=False, indent=2))
            return
        counts = report.counts()
        self.stdout.write(
            f"{path.name}: {counts['new']} new, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged, {counts['skipped']} skipped ({report.seconds} s)"
            + (f"; {counts['ignored']} ignored (not ClaimReview)" if counts["ignored"] else "")
        )
        for item in skipped:
            self.stdout.write(f"  skipped {item['position']}: {item['reason']}")

    @staticmethod
    def _progress_line(read: int) -> None:
        if read % PROGRESS_EVERY == 0:
            sys.stderr.write(f"\r{read:,} items read")
            sys.stderr.flush()
