"""The reviewer's pages through the Django test client: submit, article, queue, claim, snapshot."""

import re

import pytest
from django.urls import reverse

from claims.models import Article, Claim, ClaimEvent, Comment, Evidence
from sources.models import Source

from .factories import (
    make_article_with_sentences,
    make_bare_claim,
    make_sentence_claim,
    make_snapshot,
    make_snapshot_evidence,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice(client, reviewer):  # a logged-in reviewer's client
    client.force_login(reviewer)
    return client


@pytest.fixture
def article(reviewer):
    return make_article_with_sentences(user=reviewer)


@pytest.fixture
def claim(article):
    return make_sentence_claim(article, "18,000 vehicles")


def test_it_shows_the_dashboard_with_counts_activity_and_a_chart(alice, claim, reviewer):
    claim.assignee = reviewer
    claim.save()
    Claim.objects.create(
        article=claim.article,
        text="Old verdict",
        start=0,
        end=5,
        score=0.5,
        fingerprint="x",
        status="verified",
        rationale="checked",
        needs_recheck=True,
        recheck_reason="source changed",
    )
    ClaimEvent.objects.create(claim=claim, actor=reviewer, kind="verdict_set", after={"status": "verified"})
    response = alice.get(reverse("claims:dashboard"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "My assignments" in html and "18,000 vehicles" in html
    assert "source changed" in html  # needs re-review, with the reason
    assert "<svg" in html and "1 verified, 0 disputed" in html
    assert "gave a verdict" in html  # recent activity


def test_it_refuses_an_empty_submission_and_keeps_the_form(alice):
    response = alice.post(reverse("claims:article_submit"), {"url": "", "text": "   "})
    assert response.status_code == 400
    assert "Give a web address or paste the article text." in response.content.decode()
    response = alice.post(reverse("claims:article_submit"), {"url": "https://a.example/x", "text": "Words."})
    assert response.status_code == 400
    assert "not both" in response.content.decode()
    assert not Article.objects.exists()


def test_it_shows_live_progress_until_the_pipeline_is_done(alice, reviewer):
    article = make_article_with_sentences(user=reviewer, status="scoring")
    page = alice.get(reverse("claims:article_detail", args=[article.pk])).content.decode()
    progress_url = reverse("claims:article_progress", args=[article.pk])
    assert f'hx-get="{progress_url}"' in page and 'hx-trigger="every 1500ms"' in page
    assert ">Refresh</a>" in page  # the fallback without JavaScript
    assert 'class="claim' not in page  # no text until done

    make_sentence_claim(article, "18,000 vehicles")
    Article.objects.filter(pk=article.pk).update(status="done")
    partial = alice.get(progress_url, HTTP_HX_REQUEST="true").content.decode()
    assert "hx-get" not in partial  # polling stops: the swapped-in element has no trigger
    assert '<mark class="claim claim-unreviewed" id="claim-' in partial
    assert "<html" not in partial


def test_it_highlights_claims_at_their_offsets_and_offers_the_other_sentences(alice, article, claim):
    html = alice.get(reverse("claims:article_detail", args=[article.pk])).content.decode()
    mark = re.search(
        r'<mark class="claim claim-unreviewed" id="claim-(\d+)"[^>]*><a href="([^"]+)">(.*?)</a>', html
    )
    assert mark and int(mark.group(1)) == claim.pk
    assert mark.group(2) == reverse("claims:claim_detail", args=[claim.pk])
    assert mark.group(3) == claim.text == article.text[claim.start : claim.end]
    promotable = article.sentences.count() - 1
    assert html.count('class="promote"') == promotable
    assert "contains a number" in html  # why it was picked
    assert 'class="claim-score">0.80<' in html


def test_it_promotes_a_sentence_and_dismisses_and_restores_a_claim(alice, article, claim, reviewer):
    sentence = article.sentences.get(text__contains="tram line")
    response = alice.post(reverse("claims:sentence_promote", args=[article.pk, sentence.pk]))
    promoted = Claim.objects.get(sentence=sentence)
    assert response.status_code == 302 and response["Location"].endswith(f"#claim-{promoted.pk}")
    assert promoted.promoted_by == reviewer

    back = reverse("claims:article_detail", args=[article.pk])
    response = alice.post(
        reverse("claims:claim_dismiss", args=[claim.pk]), {"next": back, "version": claim.version}
    )
    assert response.status_code == 302 and response["Location"] == back
    claim.refresh_from_db()
    assert claim.status == "dismissed"
    alice.post(reverse("claims:claim_restore", args=[claim.pk]), {"next": "https://evil.example/"})
    claim.refresh_from_db()
    assert claim.status == "unreviewed"


def test_it_filters_searches_sorts_and_pages_the_queue(alice, article, reviewer, editor):
    low = make_bare_claim(article, "Unemployment fell to 4 percent in March", score=0.31)
    high = make_bare_claim(article, "The bridge carries 18,000 vehicles a day", score=0.95)
    high.assignee, high.needs_recheck = reviewer, True
    high.save()
    done = make_bare_claim(article, "Verified elsewhere", score=0.7)
    Claim.objects.filter(pk=done.pk).update(status="verified", rationale="ok")
    queue = reverse("claims:queue")

    def ids(**params: str) -> list[int]:
        html = alice.get(queue, params).content.decode()
        return [int(pk) for pk in re.findall(r'name="claims" value="(\d+)"', html)]

    assert ids() == [high.pk, low.pk]  # open claims, highest score first
    assert ids(sort="score") == [low.pk, high.pk]
    assert ids(min_score="0.5") == [high.pk]
    assert ids(q="unemployment") == [low.pk]
    assert ids(q="18,000") == [high.pk]
    assert ids(assignee="me") == [high.pk]
    assert ids(assignee="none") == [low.pk]
    assert ids(needs_recheck="on") == [high.pk]
    assert ids(status="verified") == [done.pk]
    assert set(ids(status="all")) == {low.pk, high.pk, done.pk}
    assert ids(min_score="lots") == [high.pk, low.pk]  # a bad filter is ignored, not a crash

    for i in range(30):
        make_bare_claim(article, f"Filler claim number {i}", score=0.5)
    first, second = ids(), ids(page="2")
    assert len(first) == 25 and len(second) == 7 and not set(first) & set(second)


def test_it_dismisses_in_bulk_and_lets_only_editors_assign_in_bulk(client, article, reviewer, editor):
    a, b = make_bare_claim(article, "First claim"), make_bare_claim(article, "Second claim")
    client.force_login(reviewer)
    response = client.post(
        reverse("claims:claims_bulk"), {"claims": [a.pk, b.pk], "action": "assign", "assignee": reviewer.pk}
    )
    assert response.status_code == 403
    assert "Only editors can assign claims in bulk." in response.content.decode()
    assert not Claim.objects.filter(assignee__isnull=False).exists()

    response = client.post(
        reverse("claims:claims_bulk"), {"claims": [a.pk], "action": "dismiss", "next": "/claims/?status=all"}
    )
    assert response.status_code == 302 and response["Location"] == "/claims/?status=all"
    assert Claim.objects.get(pk=a.pk).status == "dismissed"

    client.force_login(editor)
    client.post(
        reverse("claims:claims_bulk"), {"claims": [b.pk], "action": "assign", "assignee": reviewer.pk}
    )
    b.refresh_from_db()
    assert b.assignee == reviewer and b.status == "in_review"


def test_it_shows_evidence_in_context_and_records_decisions(alice, claim, reviewer):
    evidence = make_snapshot_evidence(claim)
    page = alice.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert '<mark class="passage">' in page
    assert '<strong class="shared">18,048</strong>' not in page  # a different number is not "shared"
    assert '<strong class="shared">vehicles</strong>' in page
    assert "numbers agree: 18,000 vs 18,048" in page
    snapshot_link = reverse("claims:snapshot_detail", args=[evidence.snapshot_id])
    assert f"{snapshot_link}?passage={evidence.passage_id}#passage" in page
    assert "Audit report on the Riverton bridge." in page  # the passage's context

    url = reverse("claims:evidence_decide", args=[claim.pk, evidence.pk])
    alice.post(url, {"decision": "confirm", "stance": "refutes"})
    evidence.refresh_from_db()
    assert (
        evidence.is_confirmed and evidence.confirmed_stance == "refutes" and evidence.decided_by == reviewer
    )
    alice.post(url, {"decision": "reject"})
    evidence.refresh_from_db()
    assert evidence.is_rejected and not evidence.is_confirmed
    kinds = list(claim.events.values_list("kind", flat=True))
    assert kinds[-2:] == ["evidence_confirmed", "evidence_rejected"]


def test_it_sets_a_verdict_and_shows_it_in_the_history(alice, claim, reviewer):
    evidence = make_snapshot_evidence(claim, is_confirmed=True, confirmed_stance="supports")
    response = alice.post(
        reverse("claims:claim_verdict", args=[claim.pk]),
        {
            "status": "verified",
            "rationale": "The audit gives the same figures.",
            "rating_label": "True",
            "version": claim.version,
        },
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert (claim.status, claim.reviewed_by, claim.rating_label) == ("verified", reviewer, "True")
    event = claim.events.get(kind="verdict_set")
    assert event.after["pinned_evidence"] == [
        {"evidence": evidence.pk, "snapshot": evidence.snapshot_id, "stance": "supports"}
    ]
    page = alice.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "gave a verdict" in page and "status: unreviewed → verified" in page
    assert f"pinned evidence: #{evidence.pk} (supports)" in page


def test_it_requires_a_rationale_and_keeps_what_was_typed(alice, claim):
    response = alice.post(
        reverse("claims:claim_verdict", args=[claim.pk]),
        {"status": "disputed", "rationale": "", "rating_label": "Misleading", "version": claim.version},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Write a rationale" in html and 'value="Misleading"' in html
    claim.refresh_from_db()
    assert claim.status == "unreviewed"


def test_it_shows_a_conflict_and_keeps_the_typed_rationale_when_someone_saved_first(client, claim, editor):
    from claims.services.claims import claim_set_verdict

    seen_version = claim.version
    claim_set_verdict(
        claim=claim, user=editor, status="verified", rationale="Bob's reasons", expected_version=seen_version
    )
    client.force_login(editor)
    typed = "Alice's careful reasons <b>with markup</b>"
    response = client.post(
        reverse("claims:claim_verdict", args=[claim.pk]),
        {"status": "disputed", "rationale": typed, "version": seen_version},
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "Not saved — conflict." in html and "changed by bob while you were working on it" in html
    assert "Alice&#x27;s careful reasons &lt;b&gt;with markup&lt;/b&gt;</textarea>" in html
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.rationale == "Bob's reasons"
    assert f'name="version" value="{claim.version}"' in html  # saving again now overrides knowingly
    response = client.post(
        reverse("claims:claim_verdict", args=[claim.pk]),
        {"status": "disputed", "rationale": typed, "version": claim.version},
    )
    claim.refresh_from_db()
    assert response.status_code == 302 and claim.status == "disputed"


def test_it_refuses_editors_actions_to_a_reviewer_with_a_clear_message(alice, claim, reviewer, editor):
    Claim.objects.filter(pk=claim.pk).update(status="verified", rationale="ok")
    response = alice.post(reverse("claims:claim_revert", args=[claim.pk]), {"reason": "no"})
    assert response.status_code == 403
    assert "Only editors can revert a verdict." in response.content.decode()
    response = alice.post(reverse("claims:claim_assign", args=[claim.pk]), {"assignee": editor.pk})
    assert response.status_code == 403
    assert "Only editors can assign claims to other people." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == "verified" and claim.assignee is None
    # ...but a reviewer may take an unassigned claim for themselves.
    assert (
        alice.post(reverse("claims:claim_assign", args=[claim.pk]), {"assignee": reviewer.pk}).status_code
        == 302
    )
    claim.refresh_from_db()
    assert claim.assignee == reviewer


def test_it_lets_an_editor_revert_a_verdict(client, claim, editor):
    Claim.objects.filter(pk=claim.pk).update(status="verified", rationale="ok")
    client.force_login(editor)
    page = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "Revert the verdict" in page
    client.post(reverse("claims:claim_revert", args=[claim.pk]), {"reason": "too quick"})
    claim.refresh_from_db()
    assert claim.status == "in_review" and claim.rationale == ""


def test_it_adds_comments_and_sources_with_progress(alice, claim, reviewer):
    alice.post(reverse("claims:claim_comment", args=[claim.pk]), {"body": "Check the 2019 estimate."})
    assert Comment.objects.get(claim=claim).author == reviewer

    response = alice.post(
        reverse("claims:claim_add_source", args=[claim.pk]), {"url": "https://stats.example.org/t"}
    )
    assert response.status_code == 302 and response["Location"].endswith("#sources")
    source = Source.objects.get(url="https://stats.example.org/t")
    page = alice.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "Check the 2019 estimate." in page
    poll = reverse("claims:claim_sources", args=[claim.pk])
    assert f'hx-get="{poll}"' in page and "fetching…" in page

    Source.objects.filter(pk=source.pk).update(status="error", last_error="The server answered 404.")
    partial = alice.get(poll).content.decode()
    assert "hx-get" not in partial and "The server answered 404." in partial


def test_it_shows_a_snapshot_as_escaped_text_with_the_passage_marked(alice, claim):
    snapshot = make_snapshot(text="Intro <img src=x onerror=alert(1)>.\n\nThe figure was 18,048.")
    evidence = make_snapshot_evidence(claim, snapshot, passage_text="The figure was 18,048.")
    url = reverse("claims:snapshot_detail", args=[evidence.snapshot_id])
    html = alice.get(url, {"passage": evidence.passage_id}).content.decode()
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "<script>alert(1)</script>" not in html  # the stored raw HTML is never shown
    assert '<mark class="passage" id="passage">The figure was 18,048.</mark>' in html
    assert Evidence.objects.count() == 1


def test_it_underlines_a_claims_figures_and_lists_them_with_their_roles(alice, article):
    from text.quantities import extract_dates, extract_quantities

    claim = make_sentence_claim(article, "18,000 vehicles")
    claim.quantities = extract_quantities(claim.text)
    claim.dates = extract_dates(claim.text)
    claim.save()
    labels = [f"{q.get('role') or ''} {q['text']}".strip() for q in claim.quantities]
    assert labels, claim.text

    page = alice.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    listed = re.search(r'<ul class="figures"[^>]*>(.*?)</ul>', page, re.S)
    assert listed, "the claim page lists its figures"
    first = claim.quantities[0]
    assert '<span class="figure" title="' in page and f">{first['text']}</span>" in page
    assert first["text"] in listed.group(1)

    article_page = alice.get(reverse("claims:article_detail", args=[article.pk])).content.decode()
    assert f">{first['text']}</span>" in article_page  # underlined in the highlighted sentence too


def test_a_stored_figure_that_no_longer_fits_the_text_is_not_marked_and_is_escaped(alice, article):
    claim = make_sentence_claim(article, "18,000 vehicles")
    claim.quantities = [
        {"text": "<b>9</b>", "start": 0, "end": 8, "kind": "count", "role": ""},  # not the text there
    ]
    claim.dates = []
    claim.save()
    page = alice.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "<b>9</b>" not in page and "&lt;b&gt;9&lt;/b&gt;" in page  # listed, escaped
    assert '<span class="figure"' not in page  # but not underlined at a span it does not match


def test_the_queue_can_put_stated_quantities_first_as_the_pipeline_picks(alice, article):
    vague = make_bare_claim(article, "Officials confirmed close cooperation with their neighbours", score=0.9)
    figure = make_bare_claim(article, "Deportations rose from 18,000 to 20,000", score=0.7)
    Claim.objects.filter(pk=figure.pk).update(features={"type_quantity": 1.0})
    Claim.objects.filter(pk=vague.pk).update(features={"type_quantity": 0.0})
    legacy = make_bare_claim(article, "A claim scored before claim types existed", score=0.8)  # features {}
    html = alice.get(reverse("claims:queue"), {"sort": "checkable"}).content.decode()
    order = [int(pk) for pk in re.findall(r'name="claims" value="(\d+)"', html)]
    assert order == [figure.pk, vague.pk, legacy.pk]
    assert "quantities first, then score" in html  # offered in the sort menu
