"""The users' journeys through the running system: the web app served over HTTP, a real Celery worker
(prefork, as the Procfile runs it) on the real Redis broker, pages served by a local HTTP server.

Each test does what a partner or a reviewer does, from the outside (the REST API with a key, the UI in
Chromium), and waits for what that person would see: evidence on the claim, a flag, a webhook. None
of them calls a task or a pipeline function itself.
"""

import pytest
import requests
from django.urls import reverse

from claims.models import Article, Claim, ClaimSource, Evidence
from claims.services.claims import claim_set_verdict
from partners.models import WebhookDelivery
from sources.models import Feed, Source

from .conftest import wait_for
from .factories import make_article, make_claim, make_partner, submitted_by
from .httpserver import verify_signature

pytestmark = pytest.mark.integration

# Generous: the worker's children load the embedding model on their first task, and CI has two cores.
WORKER_TIMEOUT = 120


def page(title: str, *paragraphs: str) -> str:
    body = "".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>{body}</article></body></html>"  # noqa: E501


AUDIT = page(
    "Audit office: capital projects 2024",
    "The Harbour City water treatment plant cost $295 million, against an estimate of $240 million "
    "made in 2021, the audit office found.",
    "The overrun came from the river intake works, which were redesigned twice.",
)
RIDERSHIP = page(
    "Transit agency annual ridership report",
    "Harbour City buses carried 41 million trips in 2024, the transit agency's ridership report shows, "
    "up from 37 million trips in 2023.",
    "Weekend service was extended on six routes.",
)


class Api:
    """A partner newsroom's client: its key on every request, against the live web server."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base = base_url.rstrip("/") + "/api/v1"
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Api-Key {key}"

    def get(self, path: str) -> dict:
        response = self.session.get(self.base + path, timeout=30)
        assert response.status_code == 200, response.text
        return response.json()

    def post(self, path: str, body: dict, *, expect: int) -> dict:
        response = self.session.post(self.base + path, json=body, timeout=30)
        assert response.status_code == expect, response.text
        return response.json()


def evidence_urls(api: Api, claim_id: int) -> set[str]:
    return {item["source_url"] for item in api.get(f"/claims/{claim_id}/")["evidence"]}


def wait_for_evidence_from(api: Api, claim_id: int, url: str) -> dict:
    """The claim as the partner sees it, once it has evidence from `url` (fails after the timeout)."""
    assert wait_for(lambda: url in evidence_urls(api, claim_id), timeout=WORKER_TIMEOUT, interval=0.5), (
        f"no evidence from {url} reached claim {claim_id}: {api.get(f'/claims/{claim_id}/')}"
    )
    return api.get(f"/claims/{claim_id}/")


def registered_webhook(api: Api, url: str, events: list[str]) -> str:
    return api.post("/webhooks/", {"url": url, "events": events}, expect=201)["secret"]


def delivered(receiver, event: str) -> list[dict]:
    """The webhook bodies of this event type the partner's endpoint has received so far."""
    return [
        {"headers": headers, "body": body}
        for headers, body in list(receiver.received)
        if headers.get("x-factcheck-event") == event
    ]


def test_a_partner_submits_a_url_and_its_linked_pages_become_evidence(
    live_server, celery_worker, local_server, settings
):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_server.route("/audit", body=AUDIT)
    local_server.route("/ridership", body=RIDERSHIP)
    local_server.route(
        "/story",
        body=page(
            "Harbour City water plant opens",
            "The Harbour City water authority opened a treatment plant on Monday that can process "
            "120 million litres a day, according to the authority's chief engineer.",
            "The plant cost $310 million, up from an estimate of $240 million in 2021, the city's "
            f"auditor said in <a href='{local_server.url('/audit')}'>a report</a> published last week.",
            "Bus ridership in Harbour City rose to 41 million trips in 2024, according to the "
            f"<a href='{local_server.url('/ridership')}'>transit agency</a>.",
        ),
    )
    _, key = make_partner()
    api = Api(live_server.url, key)

    accepted = api.post("/articles/", {"url": local_server.url("/story")}, expect=202)

    article_id = accepted["id"]
    assert wait_for(
        lambda: api.get(f"/articles/{article_id}/")["status"] in {"done", "failed"}, timeout=WORKER_TIMEOUT
    )
    article = Article.objects.get(pk=article_id)
    assert article.status == "done", article.error
    cost = Claim.objects.get(article=article, text__contains="$310 million")
    ridership = Claim.objects.get(article=article, text__contains="41 million trips")

    cost_view = wait_for_evidence_from(api, cost.pk, local_server.url("/audit"))
    ridership_view = wait_for_evidence_from(api, ridership.pk, local_server.url("/ridership"))

    [audit_evidence] = [e for e in cost_view["evidence"] if e["source_url"] == local_server.url("/audit")]
    assert "$295 million" in audit_evidence["passage"]
    assert any("41 million trips" in e["passage"] for e in ridership_view["evidence"])
    # Each page was fetched once, however many claims it was matched against.
    assert local_server.hits["/audit"] == 1 and local_server.hits["/ridership"] == 1
    assert ClaimSource.objects.filter(claim=cost, origin="article_link").count() == 2


REMOVALS_REPORT = page(
    "CBSA annual report on removals",
    "The Canada Border Services Agency removed 18,048 people from Canada in the last fiscal year, "
    "according to its annual report on removals.",
    "Failed refugee claimants accounted for 81 per cent of removals.",
)
STATISTICS_BULLETIN = page(
    "Immigration statistics bulletin",
    "Removals in calendar year 2024 totalled 17,357, the highest annual figure since 2014, the "
    "statistics bulletin shows.",
    "The bulletin is published every quarter.",
)


def test_linked_pages_support_the_claims_they_bear_on_and_nothing_reaches_an_unrelated_one(
    live_server, celery_worker, local_server, settings
):
    """The stance model reads each linked page against each claim: the right page supports each claim,
    the other page is gated out, and a claim neither page bears on gets no evidence at all."""
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_server.route("/removals", body=REMOVALS_REPORT)
    local_server.route("/bulletin", body=STATISTICS_BULLETIN)
    local_server.route(
        "/deportations",
        body=page(
            "Deportations climb as Ottawa tightens enforcement",
            "The Canada Border Services Agency removed about 18,000 people last fiscal year, according to "
            f"<a href='{local_server.url('/removals')}'>the agency's annual report</a>.",
            "Removals reached their highest level in a decade in 2024, "
            f"<a href='{local_server.url('/bulletin')}'>federal statistics</a> show.",
            "Separately, the city of Halifax approved a $12 million budget for 40 new public tennis courts "
            "on Tuesday.",
        ),
    )
    _, key = make_partner()
    api = Api(live_server.url, key)

    article_id = api.post("/articles/", {"url": local_server.url("/deportations")}, expect=202)["id"]
    assert wait_for(
        lambda: api.get(f"/articles/{article_id}/")["status"] in {"done", "failed"}, timeout=WORKER_TIMEOUT
    )
    article = Article.objects.get(pk=article_id)
    assert article.status == "done", article.error
    removed = Claim.objects.get(article=article, text__contains="about 18,000 people")
    decade = Claim.objects.get(article=article, text__contains="highest level in a decade")
    tennis = Claim.objects.get(article=article, text__contains="tennis courts")

    removed_view = wait_for_evidence_from(api, removed.pk, local_server.url("/removals"))
    decade_view = wait_for_evidence_from(api, decade.pk, local_server.url("/bulletin"))
    assert wait_for(
        lambda: ClaimSource.objects.filter(claim__article=article, matched_at__isnull=True).count() == 0,
        timeout=WORKER_TIMEOUT,
    ), "both linked pages were matched against every claim"

    def stance_from(view: dict, path: str) -> tuple[str, str]:
        [item] = [e for e in view["evidence"] if e["source_url"] == local_server.url(path)]
        return item["stance"], item["stance_reason"]

    stance, reason = stance_from(removed_view, "/removals")
    assert stance == "supports" and "18,000 vs 18,048" in reason, reason
    stance, reason = stance_from(decade_view, "/bulletin")
    assert stance == "supports", reason
    assert not Evidence.objects.filter(claim=tennis).exists()
    assert api.get(f"/claims/{tennis.pk}/")["evidence"] == []


def test_a_partner_suggests_a_source_and_the_claim_gets_evidence_from_it(
    live_server, celery_worker, local_server, settings
):
    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_server.route("/ridership", body=RIDERSHIP)
    partner, key = make_partner()
    claim = make_claim(
        submitted_by(partner, make_article()),
        "Bus ridership in Harbour City rose to 41 million trips in 2024.",
    )
    api = Api(live_server.url, key)
    assert api.get(f"/claims/{claim.pk}/")["evidence"] == []

    api.post(f"/claims/{claim.pk}/sources/", {"url": local_server.url("/ridership")}, expect=202)

    view = wait_for_evidence_from(api, claim.pk, local_server.url("/ridership"))
    [evidence] = view["evidence"]
    assert "41 million trips in 2024" in evidence["passage"]
    assert evidence["stance"] == "supports", evidence
    link = ClaimSource.objects.get(claim=claim)
    assert (link.origin, link.added_by_label) == ("partner", "partner:Harbour Gazette")


def test_a_reviewer_adds_a_source_in_the_browser_then_a_verdict_reaches_the_partner(
    live_server, celery_worker, local_server, receiver, sessions, reviewer
):
    local_server.route("/audit", body=AUDIT)
    partner, key = make_partner()
    api = Api(live_server.url, key)
    secret = registered_webhook(api, receiver.url("/hook"), ["claim.verdict_set"])
    claim = make_claim(
        submitted_by(partner, make_article()),
        "The Harbour City water plant cost $310 million, up from an estimate of $240 million in 2021.",
    )
    alice = sessions("alice")
    page = alice.page
    page.goto(reverse("claims:claim_detail", args=[claim.pk]))
    assert page.locator("article.evidence").count() == 0

    page.get_by_label("Source web address").fill(local_server.url("/audit"))
    page.get_by_role("button", name="Fetch and match").click()

    # The page polls the source's progress and reloads itself once the worker has matched it.
    page.locator("article.evidence", has_text="$295 million").wait_for(timeout=WORKER_TIMEOUT * 1000)
    assert Evidence.objects.filter(claim=claim, snapshot__source__url=local_server.url("/audit")).exists()
    alice.shot("claim-source-added")

    page.get_by_label("Disputed").check()
    page.get_by_label("Rationale").fill("The audit office puts the cost at $295 million.")
    page.get_by_role("button", name="Save verdict").click()
    page.get_by_text("Marked disputed.").wait_for()

    assert wait_for(lambda: delivered(receiver, "claim.verdict_set"), timeout=WORKER_TIMEOUT)
    [hook] = delivered(receiver, "claim.verdict_set")
    payload = verify_signature(secret, hook["headers"]["x-factcheck-signature"], hook["body"])
    assert payload["data"]["claim"]["id"] == claim.pk
    assert payload["data"]["claim"]["status"] == "disputed"


def test_a_changed_source_flags_the_verified_claim_and_tells_the_partner(
    live_server, celery_worker, local_server, receiver, reviewer
):
    from django.core.management import call_command

    local_server.route("/ridership", body=RIDERSHIP)
    partner, key = make_partner()
    api = Api(live_server.url, key)
    secret = registered_webhook(api, receiver.url("/hook"), ["claim.needs_recheck"])
    claim = make_claim(
        submitted_by(partner, make_article()),
        "Bus ridership in Harbour City rose to 41 million trips in 2024.",
    )
    api.post(f"/claims/{claim.pk}/sources/", {"url": local_server.url("/ridership")}, expect=202)
    wait_for_evidence_from(api, claim.pk, local_server.url("/ridership"))
    claim_set_verdict(
        claim=claim, user=reviewer, status="verified", rationale="The agency's report.", expected_version=1
    )
    source = Source.objects.get(url=local_server.url("/ridership"))

    local_server.route(
        "/ridership", body=RIDERSHIP.replace("41 million trips in 2024", "29 million trips in 2024")
    )
    call_command("recheck", "--source", str(source.pk))  # no --wait: the worker does it

    assert wait_for(lambda: Claim.objects.get(pk=claim.pk).needs_recheck, timeout=WORKER_TIMEOUT)
    claim.refresh_from_db()
    assert claim.status == "verified" and local_server.url("/ridership") in claim.recheck_reason
    assert wait_for(lambda: delivered(receiver, "claim.needs_recheck"), timeout=WORKER_TIMEOUT)
    [hook] = delivered(receiver, "claim.needs_recheck")
    payload = verify_signature(secret, hook["headers"]["x-factcheck-signature"], hook["body"])
    assert payload["data"]["claim"]["id"] == claim.pk
    assert WebhookDelivery.objects.get(event="claim.needs_recheck").status == "delivered"


def test_a_reference_feed_item_becomes_evidence_for_an_open_claim(
    live_server, celery_worker, local_server, settings
):
    from sources.tasks import crawl_feeds

    settings.FETCH_ALLOWED_PRIVATE_HOSTS = ["127.0.0.1"]
    local_server.route("/releases/ridership-2024", body=RIDERSHIP)
    local_server.route(
        "/feed.xml",
        content_type="application/rss+xml",
        body=(
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Transit releases'
            f"</title><item><title>Ridership 2024</title><link>{local_server.url('/releases/ridership-2024')}"
            "</link></item></channel></rss>"
        ),
    )
    partner, key = make_partner()
    claim = make_claim(
        submitted_by(partner, make_article()),
        "Bus ridership in Harbour City rose to 41 million trips in 2024.",
    )
    Feed.objects.create(url=local_server.url("/feed.xml"))

    crawl_feeds.delay()  # what beat sends on its schedule

    item_url = local_server.url("/releases/ridership-2024")
    view = wait_for_evidence_from(Api(live_server.url, key), claim.pk, item_url)
    assert any("41 million trips" in e["passage"] for e in view["evidence"])
    assert ClaimSource.objects.filter(claim=claim, source__url=item_url, origin="feed").exists()


def test_an_imported_fact_check_reaches_a_reworded_claim_and_no_distractor_does(
    live_server, celery_worker, sessions, reviewer, tmp_path
):
    """An operator imports ClaimReviews in three shapes (one object, an @graph, a DataFeed); a partner's
    article repeats one of the claims in other words: the review is on the claim for the partner (API),
    the reviewer (claim page) and the operator (`ingest --json`); the reviews on other topics are not."""
    import io
    import json

    from django.core.management import call_command

    from claims.models import FactCheck
    from tests.test_factcheck_import import BUS_REVIEW, MOON_REVIEW, VACCINE_REVIEW, three_shapes_file
    from tests.test_factcheck_matching import ARTICLE

    out = io.StringIO()
    call_command("import_factchecks", str(three_shapes_file(tmp_path)), "--json", stdout=out)
    imported = json.loads(out.getvalue())
    assert (imported["new"], imported["skipped"]) == (3, 2)
    _, key = make_partner()
    api = Api(live_server.url, key)

    accepted = api.post("/articles/", {"title": "Transit row", "text": ARTICLE}, expect=202)

    assert wait_for(
        lambda: api.get(f"/articles/{accepted['id']}/")["status"] in {"done", "failed"},
        timeout=WORKER_TIMEOUT,
    )
    claims = api.get(f"/articles/{accepted['id']}/")["claims"]
    bus = next(claim for claim in claims if "city buses" in claim["text"])
    [fact_check] = api.get(f"/claims/{bus['id']}/")["fact_checks"]
    assert fact_check["state"] == "suggested"
    assert fact_check["review"]["url"] == BUS_REVIEW["url"]
    assert fact_check["review"]["publisher"]["name"] == "Harbour Checkers"
    assert fact_check["review"]["rating"]["text"] == "False"
    for other in claims:
        if other["id"] != bus["id"]:
            assert api.get(f"/claims/{other['id']}/")["fact_checks"] == [], other["text"]

    alice = sessions("alice")
    alice.page.goto(reverse("claims:claim_detail", args=[bus["id"]]))
    section = alice.page.locator("#fact-checks")
    assert section.get_by_text("Harbour Checkers").count() == 1
    assert section.get_by_text("False", exact=True).count() == 1
    assert (
        section.get_by_role("link", name="No, Riverton did not halve its bus fleet").get_attribute("href")
        == (BUS_REVIEW["url"])
    )
    for distractor in (MOON_REVIEW, VACCINE_REVIEW):
        assert alice.page.locator(f"a[href='{distractor['url']}']").count() == 0

    text_file = tmp_path / "article.txt"
    text_file.write_text("Transit row, reprinted\n\n" + ARTICLE.split("\n\n", 1)[1], encoding="utf-8")
    out = io.StringIO()
    call_command("ingest", "--text-file", str(text_file), "--wait", "--json", stdout=out)
    reprint = json.loads(out.getvalue())
    listed = {claim["text"]: [fc["url"] for fc in claim["fact_checks"]] for claim in reprint["claims"]}
    assert listed.pop(bus["text"]) == [BUS_REVIEW["url"]]
    assert all(urls == [] for urls in listed.values()), listed
    assert FactCheck.objects.count() == 3


def test_a_partner_asks_about_a_claim_and_hears_when_a_matching_claim_gets_a_verdict(
    live_server, celery_worker, receiver, reviewer
):
    """A partner asks about a text it never submitted; no verdict matches, so it is recorded and the
    partner subscribed. Another newsroom's article carries the claim in other words; a reviewer sets a
    verdict on it, and the signed `claim.verdict_set` reaches the partner that asked."""
    asking, key = make_partner("Valley Courier")
    api = Api(live_server.url, key)
    secret = registered_webhook(api, receiver.url("/hook"), ["claim.verdict_set"])

    answer = api.post(
        "/claims/requests/", {"text": "The harbour tunnel carries 31,000 cars every day."}, expect=201
    )

    assert answer["verdicts"] == [] and answer["request"]["subscribed"] is True
    other, _ = make_partner("Harbour Gazette")
    claim = make_claim(
        submitted_by(other, make_article()),
        "The harbour tunnel carried 31,000 cars a day in 2025, the roads agency said.",
    )
    claim_set_verdict(
        claim=claim, user=reviewer, status=Claim.Status.VERIFIED, rationale="The agency's counts say so.",
        expected_version=claim.version,
    )  # fmt: skip

    assert wait_for(lambda: delivered(receiver, "claim.verdict_set"), timeout=WORKER_TIMEOUT)
    [hook] = delivered(receiver, "claim.verdict_set")
    payload = verify_signature(secret, hook["headers"]["x-factcheck-signature"], hook["body"])
    assert payload["data"]["claim"]["id"] == claim.pk
    assert payload["data"]["request"]["id"] == answer["request"]["id"]
    assert asking.claim_requests.get().answered_claim_id == claim.pk
