"""The UI's security: login everywhere, CSRF on every change, hostile text escaped, no inline code."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from claims.models import Claim, ClaimEvent, Comment

from .factories import make_article_with_sentences, make_sentence_claim, make_snapshot, make_snapshot_evidence

pytestmark = pytest.mark.django_db

HOSTILE = '<script>alert("pwned")</script><img src=x onerror=alert(1)>'


@pytest.fixture
def claim(reviewer):
    return make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")


def _page_urls(claim: Claim) -> list[str]:
    evidence = make_snapshot_evidence(claim)
    return [
        reverse("claims:dashboard"),
        reverse("claims:article_list"),
        reverse("claims:queue"),
        reverse("claims:article_detail", args=[claim.article_id]),
        reverse("claims:article_progress", args=[claim.article_id]),
        reverse("claims:claim_detail", args=[claim.pk]),
        reverse("claims:claim_sources", args=[claim.pk]),
        reverse("claims:snapshot_detail", args=[evidence.snapshot_id]),
    ]


def test_it_sends_everyone_who_is_not_logged_in_to_the_login_page(client, claim):
    posts = [
        reverse("claims:article_submit"),
        reverse("claims:claims_bulk"),
        reverse("claims:claim_verdict", args=[claim.pk]),
        reverse("claims:claim_revert", args=[claim.pk]),
        reverse("claims:claim_dismiss", args=[claim.pk]),
        reverse("claims:claim_assign", args=[claim.pk]),
        reverse("claims:claim_comment", args=[claim.pk]),
        reverse("claims:claim_add_source", args=[claim.pk]),
    ]
    for url in _page_urls(claim):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    for url in posts:
        response = client.post(url, {"status": "verified", "rationale": "x", "version": 1})
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/"), url
    claim.refresh_from_db()
    assert claim.status == "unreviewed" and claim.version == 1


def test_it_refuses_changes_without_a_csrf_token(reviewer, claim):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(reviewer)
    data = {"status": "verified", "rationale": "Forged.", "version": claim.version}
    response = browser.post(reverse("claims:claim_verdict", args=[claim.pk]), data)
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == "unreviewed"

    page = browser.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = browser.post(
        reverse("claims:claim_verdict", args=[claim.pk]), data | {"csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == "verified"

    # The promote buttons are built in Python (claims/templatetags/highlight.py): they carry a token too.
    sentence = claim.article.sentences.get(text__contains="tram line")
    promote = reverse("claims:sentence_promote", args=[claim.article_id, sentence.pk])
    assert browser.post(promote).status_code == 403
    page = browser.get(reverse("claims:article_detail", args=[claim.article_id])).content.decode()
    form = re.search(rf'action="{promote}" class="promote"><input[^>]*value="([^"]+)"', page)
    assert browser.post(promote, {"csrfmiddlewaretoken": form.group(1)}).status_code == 302
    assert Claim.objects.filter(sentence=sentence).exists()


def test_it_escapes_hostile_text_everywhere_it_shows_it(client, reviewer):
    text = (
        f"Hostile Title {HOSTILE}\n\n"
        f"The mayor said {HOSTILE} cost 5 million dollars. Another sentence {HOSTILE}."
    )
    article = make_article_with_sentences(text=text, user=reviewer)
    claim = make_sentence_claim(article, "The mayor said")
    Claim.objects.filter(pk=claim.pk).update(
        reasons=[HOSTILE], assignee=reviewer, needs_recheck=True, recheck_reason=HOSTILE
    )
    Comment.objects.create(claim=claim, author=reviewer, body=HOSTILE)
    ClaimEvent.objects.create(
        claim=claim, actor=reviewer, kind="commented", note=HOSTILE, after={"x": HOSTILE}
    )
    make_snapshot_evidence(
        claim,
        make_snapshot(text=f"Before {HOSTILE}.\n\nThe mayor said it cost 5 million."),
        passage_text="The mayor said it cost 5 million.",
        stance_reason=HOSTILE,
    )
    client.force_login(reviewer)
    for url in _page_urls(claim):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<img src=x" not in html, url
        # Our own scripts only: every <script> element loads a file, none carries inline code.
        for tag in re.findall(r"<script[^>]*>.*?</script>", html, flags=re.S):
            assert re.fullmatch(r'<script src="/static/[^"]+" defer></script>', tag), (url, tag)
        assert " style=" not in html and "<style" not in html, url
    html = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "&lt;script&gt;alert(&quot;pwned&quot;)&lt;/script&gt;" in html


def test_it_sends_a_strict_content_security_policy(client, reviewer, claim):
    client.force_login(reviewer)
    policy = client.get(reverse("claims:claim_detail", args=[claim.pk]))["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_it_does_not_redirect_to_another_site_after_an_action(client, reviewer, claim):
    client.force_login(reviewer)
    response = client.post(
        reverse("claims:claim_dismiss", args=[claim.pk]), {"next": "https://evil.example/phish"}
    )
    assert response["Location"] == reverse("claims:claim_detail", args=[claim.pk])


def test_it_answers_404_for_evidence_of_another_claim(client, reviewer, claim):
    other = make_sentence_claim(claim.article, "tram line")
    evidence = make_snapshot_evidence(other)
    client.force_login(reviewer)
    response = client.post(
        reverse("claims:evidence_decide", args=[claim.pk, evidence.pk]), {"decision": "confirm"}
    )
    assert response.status_code == 404
    evidence.refresh_from_db()
    assert not evidence.is_confirmed
