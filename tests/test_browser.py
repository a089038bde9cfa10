"""The reviewer's UI in a real browser: the system Chromium driven by Playwright against a live server.

Never `playwright install`: the browser is the machine's own (/usr/bin/chromium, installed by
.ci/run). Screenshots of the main pages go to bench/screenshots/ for people to look at.
"""

import re

import pytest
from django.urls import reverse

from claims.models import Article, Claim

from .browser import NARROW
from .conftest import wait_for
from .factories import make_article_with_sentences, make_sentence_claim, make_snapshot, make_snapshot_evidence

pytestmark = pytest.mark.browser

ARTICLE = (
    "Harbour City Opens New Water Plant\n\n"
    "The Harbour City water authority opened a treatment plant on Monday that can process "
    "120 million litres a day, according to the authority's chief engineer.\n\n"
    "The plant cost $310 million, up from an estimate of $240 million in 2021, the city's "
    "auditor said in a report published last week.\n\n"
    "I think it looks lovely from the river."
)
AUDIT_REPORT = (
    "Harbour City audit office: annual report on capital projects.\n\n"
    "The water treatment plant cost $295 million, against an estimate of $240 million made in 2021. "
    "The overrun came from the river intake works.\n\n"
    "The office recommends publishing cost overruns every quarter."
)


@pytest.mark.integration
def test_a_reviewer_takes_a_submitted_article_to_a_verdict(sessions, reviewer, editor, celery_worker):
    alice = sessions("alice")
    page = alice.page
    alice.shot("dashboard-empty")
    page.get_by_role("link", name="Submit article").click()
    page.get_by_label("…or paste the article text").fill(ARTICLE)
    page.get_by_label("Title (optional)").fill("Harbour City water plant")
    alice.shot("submit", full_page=False)
    page.get_by_role("button", name="Check this article").click()

    # The article page polls its progress (htmx) until the worker is done: no reload needed.
    page.wait_for_url(re.compile(r"/articles/\d+/$"))
    article = Article.objects.get(title="Harbour City water plant")
    assert page.locator("#article-live[hx-get]").count() == 1 or article.status == "done"
    # Generous: the worker's first task loads the embedding model, and CI machines have two cores.
    finished = wait_for(lambda: Article.objects.get(pk=article.pk).status in {"done", "failed"}, timeout=180)
    article.refresh_from_db()
    assert finished and article.status == "done", (article.status, article.error, article.progress)
    page.locator("#article-status", has_text="done").wait_for(timeout=10_000)
    assert page.locator("#article-live[hx-get]").count() == 0
    alice.shot("article")

    claim = Claim.objects.filter(article=article, text__contains="$310 million").get()
    if not claim.evidence.exists():  # no stored source shares terms with it yet: give it one
        audit = make_snapshot(text=AUDIT_REPORT, url="https://audit.example.org/harbour-city-plant")
        make_snapshot_evidence(
            claim,
            audit,
            passage_text=AUDIT_REPORT.split("\n\n")[1],
            suggested_stance="refutes",
            stance_reason="numbers differ: $310 million vs $295 million",
        )
    page.locator(f"#claim-{claim.pk} a").click()
    page.wait_for_url(f"**{reverse('claims:claim_detail', args=[claim.pk])}")
    evidence = page.locator("article.evidence").first
    evidence.get_by_label("Stance").select_option("refutes")
    evidence.get_by_role("button", name="Confirm").click()
    page.get_by_text("Evidence confirmed.").wait_for()
    assert page.locator("article.evidence.is-confirmed").count() == 1

    page.get_by_label("Disputed").check()
    page.get_by_label("Rationale").fill("The auditor's report gives a different cost.")
    page.get_by_label("Rating label (optional)").fill("Misleading")
    page.get_by_role("button", name="Save verdict").click()
    page.get_by_text("Marked disputed.").wait_for()
    assert page.locator("#claim-status").inner_text() == "disputed"
    history = page.locator("#history")
    assert (
        "gave a verdict" in history.inner_text() and "status: unreviewed → disputed" in history.inner_text()
    )
    alice.shot("claim")
    claim.refresh_from_db()
    assert (claim.status, claim.reviewed_by, claim.rating_label) == ("disputed", reviewer, "Misleading")

    page.get_by_role("link", name="view the snapshot").first.click()
    page.locator("mark#passage").wait_for()
    alice.shot("snapshot")
    page.get_by_role("link", name="Claim queue").click()
    page.get_by_label("Status").select_option("all")
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url("**status=all**")
    page.locator("table.queue tbody tr a", has_text="$310 million").wait_for()
    alice.shot("queue")
    page.get_by_role("link", name="Dashboard").click()
    assert "1 disputed" in page.locator("figure.chart").inner_text()
    alice.shot("dashboard")


def test_two_reviewers_saving_at_once_get_a_conflict_and_lose_nothing(sessions, reviewer, editor):
    claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    make_snapshot_evidence(claim)
    alice, bob = sessions("alice"), sessions("bob")
    url = reverse("claims:claim_detail", args=[claim.pk])
    alice.page.goto(url)
    bob.page.goto(url)

    alice.page.get_by_label("Verified").check()
    alice.page.get_by_label("Rationale").fill("Traffic counts agree.")
    alice.page.get_by_role("button", name="Save verdict").click()
    alice.page.get_by_text("Marked verified.").wait_for()

    bob.expected_statuses.add(409)  # the conflict answer itself
    bob_text = "The count is 18,048, not 18,000 — close enough?"
    bob.page.get_by_label("Disputed").check()
    bob.page.get_by_label("Rationale").fill(bob_text)
    bob.page.get_by_role("button", name="Save verdict").click()
    conflict = bob.page.locator(".conflict")
    conflict.wait_for()
    assert "changed by alice" in conflict.inner_text()
    assert bob.page.get_by_label("Rationale").input_value() == bob_text
    assert bob.page.get_by_label("Disputed").is_checked()
    assert "Traffic counts agree." in bob.page.locator(".verdict-box").inner_text()  # the newer state
    bob.shot("claim-conflict", full_page=False)
    claim.refresh_from_db()
    assert claim.status == "verified"

    bob.page.get_by_role("button", name="Save verdict").click()  # knowingly, over alice's verdict
    bob.page.get_by_text("Marked disputed.").wait_for()
    claim.refresh_from_db()
    assert (claim.status, claim.rationale) == ("disputed", bob_text)


def test_a_reviewer_is_refused_an_editors_action(sessions, reviewer, editor):
    claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    Claim.objects.filter(pk=claim.pk).update(status="verified", rationale="ok", reviewed_by=editor)
    alice = sessions("alice")
    page = alice.page
    page.goto(reverse("claims:claim_detail", args=[claim.pk]))
    assert page.get_by_role("button", name="Revert the verdict").count() == 0
    assert page.get_by_text("An editor can revert this verdict.").is_visible()

    # What an outdated or hand-made form would send: the server refuses it, whatever the page shows.
    alice.expected_statuses.add(403)
    page.evaluate(
        """([url, token]) => {
            const form = document.createElement("form");
            form.method = "post"; form.action = url;
            form.innerHTML = `<input name="csrfmiddlewaretoken" value="${token}">`;
            document.body.append(form); form.submit();
        }""",
        [
            reverse("claims:claim_revert", args=[claim.pk]),
            page.locator("[name=csrfmiddlewaretoken]").first.input_value(),
        ],
    )
    page.get_by_role("heading", name="Not allowed").wait_for()
    assert "Only editors can revert a verdict." in page.locator("[role=alert]").inner_text()
    alice.shot("forbidden", full_page=False)
    claim.refresh_from_db()
    assert claim.status == "verified"

    page.goto(reverse("claims:queue"))
    assert page.locator("#bulk-action option[value=assign]").count() == 0


def test_the_pages_work_by_keyboard_and_on_a_narrow_screen(sessions, reviewer, editor):
    claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    make_snapshot_evidence(claim)
    alice = sessions("alice", viewport=NARROW)
    page = alice.page
    for name, url in [
        ("narrow-dashboard", reverse("claims:dashboard")),
        ("narrow-queue", reverse("claims:queue")),
        ("narrow-article", reverse("claims:article_detail", args=[claim.article_id])),
        ("narrow-claim", reverse("claims:claim_detail", args=[claim.pk])),
    ]:
        page.goto(url)
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (url, overflow)
        alice.shot(name)

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    assert page.evaluate("getComputedStyle(document.activeElement).outlineStyle") == "solid"
    # Keyboard only: reach the claim's first evidence decision and confirm it.
    page.locator("article.evidence button", has_text="Confirm").focus()
    page.keyboard.press("Enter")
    page.get_by_text("Evidence confirmed.").wait_for()
    assert wait_for(lambda: claim.evidence.filter(is_confirmed=True).exists(), timeout=5)
