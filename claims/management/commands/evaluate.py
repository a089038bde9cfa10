"""`manage.py evaluate TASK --dataset PATH [--predictions OUT.jsonl] [--json]`.

Each task lives in `claims/evaluation/<task>.py` with `evaluate(dataset, predictions=...) -> dict`;
it predicts every row before it reads any label, and measures a simple baseline in the same run.
"""

import importlib
import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

TASKS = {
    "extraction": "claims.evaluation.extraction",
    "checkworthiness": "claims.evaluation.checkworthiness",
    "evidence": "claims.evaluation.evidence",
    "stance": "claims.evaluation.stance",
    "claim-matching": "claims.evaluation.claim_matching",
}
# Tasks that rank against a separate collection (the verified claims for claim matching).
TAKES_CORPUS = {"claim-matching"}


class Command(BaseCommand):
    help = "Measure a machine step on a labelled data set (and its baseline in the same run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("task", choices=sorted(TASKS))
        parser.add_argument("--dataset", type=Path, required=True)
        parser.add_argument("--predictions", type=Path, help="write one JSON line per input row")
        parser.add_argument("--corpus", type=Path, help="claim-matching: the verified claims file")
        parser.add_argument("--json", action="store_true", help="print the metrics as JSON")

    def handle(self, *args, **options) -> None:
        dataset: Path = options["dataset"]
        if not dataset.is_file():
            raise CommandError(f"No such data set: {dataset}")
        module = importlib.import_module(TASKS[options["task"]])
        extra = {"corpus": options["corpus"]} if options["task"] in TAKES_CORPUS else {}
        if options["corpus"] and not extra:
            raise CommandError("--corpus is only used by claim-matching.")
        try:
            result = module.evaluate(dataset, predictions=options["predictions"], **extra)
        except (ValueError, KeyError) as exc:
            message = f"{dataset} is not in the format of the {options['task']} sets: {exc}"
            raise CommandError(message) from exc
        if options["json"]:
            self.stdout.write(json.dumps(result, indent=2))
        else:
            for key, value in result.items():
                self.stdout.write(f"{key}: {value}")
