"""Scheduled re-checks: unchanged pages cost nothing, changed or vanished evidence flags its claims.

A local server plays the source site; its content, ETag and status change between fetches.
"""

import threading
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from claims.models import Claim, ClaimEvent, Evidence
from claims.services.claims import claim_set_verdict
from claims.signals import claim_changed
from sources.models import Passage, Snapshot, Source, SourceCheck
from sources.recheck import lease_due_sources, source_recheck
from sources.selectors import source_check_history
from sources.services import source_get_or_create
from sources.tasks import fetch_source, recheck_due
from tests.conftest import wait_for
from tests.factories import make_article, make_claim
from tests.httpserver import Reply, Request

REMOVALS = "The agency said it carried out 18,048 removals in 2023, up from 16,000 a year earlier."
FERRY = "The harbour ferry carried 2.1 million passengers last year, the port authority said."
FILLER = (
    "Officials presented the figures at a briefing on Tuesday morning in the capital. "
    "Reporters asked about the methodology and the regional breakdown of the numbers. "
    "The full report is due to be published in the spring with more detail on each region."
)


def page(*sentences: str) -> str:
    paragraphs = "".join(f"<p>{s}</p>" for s in (*sentences, FILLER))
    return (
        "<html><head><title>Annual report</title></head><body><article><h1>Annual report</h1>"
        f"{paragraphs}</article></body></html>"
    )


class Site:
    """One page whose HTML, ETag and status a test changes; answers 304 to a matching If-None-Match."""

    def __init__(self, server, path: str, html: str) -> None:  # LocalServer
        self.server, self.path = server, path
        self.html, self.etag, self.status = html, '"v1"', 200
        server.handle(path, self)

    def __call__(self, request: Request) -> Reply:
        if self.status != 200:
            return Reply(self.status, b"unavailable", {"Content-Type": "text/plain"})
        if request.headers.get("if-none-match") == self.etag:
            return Reply(304, b"", {"ETag": self.etag})
        return Reply(200, self.html, {"Content-Type": "text/html; charset=utf-8", "ETag": self.etag})

    def change(self, html: str) -> None:
        self.html, self.etag = html, f'"v{int(self.etag.strip(chr(34))[1:]) + 1}"'

    @property
    def url(self) -> str:
        return self.server.url(self.path)

    @property
    def hits(self) -> int:
        return self.server.hits[self.path]


@pytest.fixture(autouse=True)
def _local_fetching(settings) -> None:
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    settings.FETCH_DOMAIN_MIN_INTERVAL = 0


def fetched_source(site: Site) -> Source:
    from django.test import TestCase

    from factcheck.queueing import tasks_run_here

    source = source_get_or_create(url=site.url)
    # The worker's task and the indexing it queues, here and now (also beside a live worker: this is
    # a test's set-up, not what it tests).
    with tasks_run_here(), TestCase.captureOnCommitCallbacks(execute=True):
        fetch_source.delay(source.pk)
    source.refresh_from_db()
    assert Passage.objects.filter(snapshot=source.current_snapshot).exists()
    return source


def verified_claim_on(source: Source, quote: str, text: str) -> Claim:
    # The shortest window holding the quote: the one-sentence passage a reviewer would confirm.
    passages = Passage.objects.filter(snapshot=source.current_snapshot, text__contains=quote)
    passage = min(passages, key=lambda p: len(p.text))
    claim = make_claim(make_article(), text, status=Claim.Status.VERIFIED)
    Evidence.objects.create(
        claim=claim, passage=passage, snapshot=passage.snapshot, score=0.9, is_confirmed=True,
        suggested_stance="supports", confirmed_stance="supports",
    )  # fmt: skip
    return claim


@pytest.fixture
def recheck(django_capture_on_commit_callbacks):
    """Re-check a source and run what it queued on commit (tasks are eager in unit tests)."""

    def run(source_id: int) -> str:
        with django_capture_on_commit_callbacks(execute=True):
            return source_recheck(source_id).outcome

    return run


def make_due(source: Source) -> None:
    Source.objects.filter(pk=source.pk).update(next_check_at=timezone.now() - timedelta(minutes=1))


def test_it_stores_nothing_when_a_page_is_unchanged(db, local_server, recheck) -> None:
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    counts = (Snapshot.objects.count(), Passage.objects.count())

    assert recheck(source.pk) == "not_modified"  # ETag matches: 304
    site.etag = '"v1-with-a-new-advert"'  # new bytes, same extracted text
    assert recheck(source.pk) == "unchanged"

    source.refresh_from_db()
    assert (Snapshot.objects.count(), Passage.objects.count()) == counts
    assert not SourceCheck.objects.exists(), "an unchanged re-check writes no history row"
    assert source.unchanged_checks == 2
    assert source.check_interval == timedelta(days=7) * 4, "backs off ×2 per unchanged check"
    assert source.fetching_since is None
    assert source.next_check_at > timezone.now() + timedelta(days=20)


def test_it_flags_a_verified_claim_when_its_passage_changes(
    db, local_server, reviewer, django_capture_on_commit_callbacks
) -> None:
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    changed = verified_claim_on(source, "18,048", "The agency removed about 18,000 people in 2023.")
    steady = verified_claim_on(source, "2.1 million", "The ferry carried 2.1 million passengers.")
    old_snapshot = source.current_snapshot_id

    site.change(page(REMOVALS.replace("18,048", "12,300"), FERRY))
    announced = []
    claim_changed.connect(lambda sender, claim, kind, **kw: announced.append((claim.pk, kind)), weak=False,
                          dispatch_uid="test-recheck-announced")  # fmt: skip
    try:
        with django_capture_on_commit_callbacks(execute=True):
            result = source_recheck(source.pk)
    finally:
        claim_changed.disconnect(dispatch_uid="test-recheck-announced")

    assert result.outcome == "changed"
    changed.refresh_from_db()
    steady.refresh_from_db()
    assert changed.needs_recheck and not steady.needs_recheck
    assert source.url in changed.recheck_reason
    assert announced == [(changed.pk, "needs_recheck")], "partners get claim.needs_recheck from this"
    assert changed.status == Claim.Status.VERIFIED, "the verdict stands until a reviewer looks again"
    event = ClaimEvent.objects.get(claim=changed, kind="needs_recheck")
    assert "-18,048" in event.after["diff"] and "+12,300" in event.after["diff"]
    assert event.after["old_snapshot"] == old_snapshot
    assert event.after["new_snapshot"] == result.snapshot_id
    assert "12,300" in event.after["passages"][0]["closest"]
    # The verdict's record is untouched: the evidence still points at the snapshot the reviewer saw.
    assert Evidence.objects.get(claim=changed, is_confirmed=True).snapshot_id == old_snapshot
    # ...and the new text is matched too: the changed figure is put before the reviewer beside it.
    new_evidence = Evidence.objects.filter(claim=changed, snapshot_id=result.snapshot_id)
    assert any("12,300" in evidence.passage.text for evidence in new_evidence)
    check = SourceCheck.objects.get(source=source)
    assert (check.outcome, check.snapshot_id) == ("changed", result.snapshot_id)
    assert Passage.objects.filter(snapshot_id=result.snapshot_id).exists(), "new text is indexed"

    # A redelivered change notification flags nobody twice.
    from claims.services.recheck import claims_recheck_changed_source

    again = claims_recheck_changed_source(
        source_id=source.pk, old_snapshot_id=old_snapshot, new_snapshot_id=result.snapshot_id
    )
    assert again == []
    history = source_check_history(Source.objects.get(pk=source.pk))
    assert [c.outcome for c in history.checks] == ["changed"]


def test_it_marks_a_source_gone_after_repeated_404s_and_flags_claims(
    db, local_server, settings, recheck
) -> None:
    settings.RECHECK_GONE_AFTER = 3
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    claim = verified_claim_on(source, "18,048", "The agency removed about 18,000 people in 2023.")

    site.status = 404
    outcomes = [recheck(source.pk) for _ in range(3)]

    assert outcomes == ["error", "error", "gone"]
    source.refresh_from_db()
    claim.refresh_from_db()
    assert source.status == Source.Status.GONE
    assert claim.needs_recheck and "gone" in claim.recheck_reason
    assert ClaimEvent.objects.filter(claim=claim, kind="needs_recheck").count() == 1
    assert Snapshot.objects.filter(source=source).exists(), "the evidence stays viewable"
    assert [c.http_status for c in SourceCheck.objects.filter(source=source)] == [404, 404, 404]
    make_due(source)
    assert lease_due_sources() == [], "gone sources are not re-checked on schedule"


def test_it_backs_off_on_503_without_flagging(db, local_server, settings, recheck) -> None:
    settings.RECHECK_GONE_AFTER = 2
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    claim = verified_claim_on(source, "18,048", "The agency removed about 18,000 people in 2023.")

    site.status = 503
    for _ in range(4):
        assert recheck(source.pk) == "error"
    source.refresh_from_db()
    claim.refresh_from_db()
    assert source.status == Source.Status.ERROR and source.link_rot_count == 0
    assert not claim.needs_recheck
    assert timezone.now() < source.next_check_at < timezone.now() + timedelta(days=8), "retried later"

    site.status = 200
    assert recheck(source.pk) == "not_modified"
    source.refresh_from_db()
    assert source.consecutive_failures == 0 and source.status == Source.Status.UNCHANGED


@pytest.mark.django_db(transaction=True)
def test_it_never_fetches_a_source_twice_when_runs_overlap(local_server, settings) -> None:
    settings.RECHECK_DOMAIN_CONCURRENCY = 1000
    settings.RECHECK_DOMAIN_PER_MINUTE = 1000
    paths = [f"/page/{i}" for i in range(24)]
    for path in paths:
        local_server.route(
            path, body=f"Page {path} says the budget was 4.1 billion.", content_type="text/plain"
        )
    past = timezone.now() - timedelta(hours=1)
    Source.objects.bulk_create(
        Source(url=local_server.url(p), domain="127.0.0.1", last_fetched_at=past, next_check_at=past)
        for p in paths
    )
    barrier = threading.Barrier(2)
    claimed: list[list[int]] = [[], []]

    def run(slot: int) -> None:
        try:
            barrier.wait()
            while batch := lease_due_sources(limit=5):
                for source_id, stamp in batch:
                    source_recheck(source_id, leased_at=stamp)
                    claimed[slot].append(source_id)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert not set(claimed[0]) & set(claimed[1])
    assert len(claimed[0]) + len(claimed[1]) == len(paths)
    assert all(local_server.hits[p] == 1 for p in paths), dict(local_server.hits)
    assert not Source.objects.filter(fetching_since__isnull=False).exists()


def test_it_limits_how_many_sources_of_one_domain_are_claimed(db, settings) -> None:
    settings.RECHECK_DOMAIN_CONCURRENCY = 2
    past = timezone.now() - timedelta(hours=1)
    Source.objects.bulk_create(
        Source(url=f"https://{host}.example.org/{i}", domain=f"{host}.example.org", last_fetched_at=past,
               next_check_at=past)
        for host in ("big", "small") for i in range(5)
    )  # fmt: skip

    claimed = Source.objects.filter(pk__in=[pk for pk, _ in lease_due_sources(limit=10)])

    assert (
        sorted(claimed.values_list("domain", flat=True))
        == ["big.example.org"] * 2 + ["small.example.org"] * 2
    )
    held_back = Source.objects.filter(fetching_since__isnull=True)
    assert all(s.next_check_at > timezone.now() for s in held_back), "held back rows wait a little"


def test_it_puts_a_verdicts_sources_on_the_daily_cadence(db, local_server, reviewer, recheck) -> None:
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    Source.objects.filter(pk=source.pk).update(next_check_at=timezone.now() + timedelta(days=20))
    claim = verified_claim_on(source, "18,048", "The agency removed about 18,000 people in 2023.")
    Claim.objects.filter(pk=claim.pk).update(status=Claim.Status.IN_REVIEW, rationale="")

    claim_set_verdict(
        claim=claim, user=reviewer, status="verified", rationale="Matches the report.", expected_version=None
    )

    source.refresh_from_db()
    assert source.backs_verdict
    assert source.next_check_at < timezone.now() + timedelta(hours=27)
    assert recheck(source.pk) == "not_modified"
    source.refresh_from_db()
    assert source.check_interval == timedelta(days=2)


def test_it_rechecks_due_sources_from_the_command(transactional_db, local_server) -> None:
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    claim = verified_claim_on(source, "2.1 million", "The ferry carried 2.1 million passengers.")
    make_due(source)
    site.change(page(REMOVALS, "The harbour ferry service was suspended last year."))
    out, err = StringIO(), StringIO()

    call_command("recheck", "--due", "--wait", stdout=out, stderr=err)

    claim.refresh_from_db()
    assert claim.needs_recheck
    assert "1 changed" in out.getvalue() and "1/1" in err.getvalue()
    call_command("recheck", "--source", str(source.pk), "--wait", stdout=out)
    assert "not_modified" in out.getvalue()


def test_it_creates_the_default_schedules_once(db) -> None:
    from django_celery_beat.models import PeriodicTask

    call_command("setup_schedules", stdout=StringIO())
    PeriodicTask.objects.filter(task="sources.tasks.recheck_due").update(enabled=False)  # an editor paused it
    call_command("setup_schedules", stdout=StringIO())

    tasks = dict(PeriodicTask.objects.values_list("task", "interval__every"))
    assert tasks == {
        "sources.tasks.recheck_due": 15,
        "sources.tasks.crawl_feeds": 60,
        "claims.tasks.crawl_claimreview_feeds": 60,
        "claims.tasks.requeue_stalled_articles": 2,
    }
    assert not PeriodicTask.objects.get(task="sources.tasks.recheck_due").enabled


@pytest.mark.integration
def test_it_flags_a_claim_within_one_scheduled_run_on_a_real_worker(celery_worker, local_server) -> None:
    site = Site(local_server, "/report", page(REMOVALS, FERRY))
    source = fetched_source(site)
    claim = verified_claim_on(source, "18,048", "The agency removed about 18,000 people in 2023.")
    unchanged = fetched_source(Site(local_server, "/other", page(FERRY)))
    make_due(source)
    make_due(unchanged)
    site.change(page(REMOVALS.replace("18,048", "9,000"), FERRY))

    recheck_due.delay()

    assert wait_for(lambda: Claim.objects.get(pk=claim.pk).needs_recheck, timeout=90)
    event = ClaimEvent.objects.get(claim=claim, kind="needs_recheck")
    assert "+9,000" in event.after["diff"]
    assert wait_for(lambda: Source.objects.get(pk=unchanged.pk).unchanged_checks == 1)
    assert site.hits == 2 and local_server.hits["/other"] == 2
    assert Snapshot.objects.filter(source=unchanged).count() == 1
