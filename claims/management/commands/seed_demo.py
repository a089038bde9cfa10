"""Create the demo reviewer and load the project's own demo article (idempotent)."""

import os
from pathlib import Path

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from claims.models import Article
from claims.services.articles import article_submit

DEMO_USERNAME = "reviewer"
DEMO_PASSWORD = "factcheck-demo"
# A local demo's editor, who may also use the admin (/admin/: partners, keys, feeds, schedules).
DEMO_ADMIN_USERNAME = "editor"
DEMO_ADMIN_PASSWORD = "factcheck-demo-editor"
DEMO_ARTICLE = Path(__file__).resolve().parents[2] / "demo" / "riverton_transit.txt"
# The demo fact-check library: the shared CLEF 2020 task 2 verified claims, when they are beside us.
DEMO_LIBRARY = (
    Path(__file__).resolve().parents[4] / "shared" / "data" / "claim_matching" / "verified_claims.jsonl"
)


class Command(BaseCommand):
    help = "Create the demo reviewer account and load the demo article (safe to run again)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--no-library", action="store_true", help="skip the demo fact-check library")

    def handle(self, *args, **options) -> None:
        if os.environ.get("FACTCHECK_DEV", "").lower() not in {"1", "true", "yes"}:
            # Its accounts have published passwords: never on a real deployment.
            raise CommandError("seed_demo is for local demos only (FACTCHECK_DEV=true, as `make run` sets).")
        for name in ("reviewer", "editor"):
            Group.objects.get_or_create(name=name)
        user_model = get_user_model()
        user, created = user_model.objects.get_or_create(username=DEMO_USERNAME)
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(Group.objects.get(name="reviewer"))
        admin, created = user_model.objects.get_or_create(
            username=DEMO_ADMIN_USERNAME, defaults={"is_staff": True, "is_superuser": True}
        )
        if created:
            admin.set_password(DEMO_ADMIN_PASSWORD)
            admin.save()
            admin.groups.add(Group.objects.get(name="editor"))

        text = DEMO_ARTICLE.read_text(encoding="utf-8")
        demo = Article.objects.filter(submitted_body=text).first()
        if demo is None:
            article_submit(text=text, user=user)
            self.stdout.write("Loaded the demo article; a worker will process it.")
        elif demo.status == Article.Status.QUEUED:
            # Its task was lost with the previous run's in-memory broker: queue it again
            # (the pipeline is idempotent, so a duplicate would change nothing).
            from claims.tasks import process_article
            from factcheck.queueing import enqueue

            enqueue(process_article, demo.pk)

        if not options["no_library"]:
            self._seed_library()
        self.stdout.write(self.style.SUCCESS(f"Log in as '{DEMO_USERNAME}' with password '{DEMO_PASSWORD}'."))
        self.stdout.write(
            self.style.SUCCESS(
                f"Editor and admin (/admin/): '{DEMO_ADMIN_USERNAME}' with password '{DEMO_ADMIN_PASSWORD}'."
            )
        )
        call_command("setup_schedules", stdout=self.stdout)  # beat's re-check and feed schedules

    def _seed_library(self) -> None:
        if not DEMO_LIBRARY.is_file():
            self.stdout.write("No demo fact-check library (the shared claim-matching data is not beside us).")
            return
        from claims.demo_library import seed_demo_library

        # The first run embeds ~10k reviews (minutes on two cores); later runs find them unchanged.
        self.stdout.write(
            f"Loading the demo fact-check library from {DEMO_LIBRARY.name} (the first time this embeds "
            "about 10,000 reviews and takes a few minutes; later starts take seconds)...",
        )
        self.stdout.flush()
        report = seed_demo_library(DEMO_LIBRARY)
        counts = report.counts()
        self.stdout.write(
            f"Demo fact-check library ({DEMO_LIBRARY.name}): {counts['new']} new, "
            f"{counts['updated']} updated, {counts['unchanged']} unchanged, {counts['skipped']} skipped "
            f"in {report.seconds} s."
        )
