"""Re-check in the UI: a flagged claim shows what changed (escaped), and each source its history."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.services.claims import claim_flag_recheck
from claims.services.recheck import word_diff
from claims.templatetags.review_extras import diff_words
from sources.models import SourceCheck

from .factories import make_article_with_sentences, make_sentence_claim, make_snapshot, make_snapshot_evidence

pytestmark = pytest.mark.django_db

OLD = "Traffic counts show about 18,048 vehicles a day cross it."
NEW = "Traffic counts show about <script>alert(1)</script> vehicles a day cross it."


@pytest.fixture
def flagged(reviewer):
    """A claim whose evidence passage changed: the old snapshot, a new one, and the event."""
    claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    evidence = make_snapshot_evidence(claim, passage_text=OLD)
    old = evidence.snapshot
    new = make_snapshot(text=old.text.replace(OLD, NEW))
    diff = word_diff(OLD, NEW)
    claim_flag_recheck(
        claim=claim,
        reason="The source changed: 1 passage(s) this claim rests on no longer read the same.",
        diff=diff,
        details={
            "source": old.source_id,
            "old_snapshot": old.pk,
            "new_snapshot": new.pk,
            "passages": [
                {"evidence": evidence.pk, "snapshot": old.pk, "old": OLD, "closest": NEW, "similarity": 0.8}
            ],
        },
    )
    return claim, evidence, new


def test_it_turns_a_word_diff_into_ops_and_words():
    pairs = diff_words(word_diff("a b c --", "a x c") + "\n\n" + word_diff("d", "e"))
    assert ("del", "b") in pairs and ("ins", "x") in pairs and ("same", "a") in pairs
    assert ("del", "--") in pairs  # a deleted "--" is a word, not a file header
    assert ("gap", "") in pairs and pairs[-1] == ("ins", "e")
    assert not any(word.startswith(("evidence", "page")) for _, word in pairs)
    assert diff_words("") == []


def test_it_shows_a_flagged_claims_reason_passages_and_escaped_diff(client, reviewer, flagged):
    claim, evidence, new = flagged
    client.force_login(reviewer)
    page = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "Needs re-review:" in page and "no longer read the same" in page
    assert "<script>alert(1)</script>" not in page
    escaped = "&lt;script&gt;alert(1)&lt;/script&gt;"
    assert f'<ins class="diff-ins"><span class="sr-only">added: </span>{escaped}</ins>' in page
    assert '<del class="diff-del"><span class="sr-only">removed: </span>18,048</del>' in page
    assert "Closest passage now" in page and OLD in page
    assert reverse("claims:snapshot_detail", args=[evidence.snapshot_id]) in page
    assert reverse("claims:snapshot_detail", args=[new.pk]) in page
    assert reverse("claims:source_detail", args=[evidence.snapshot.source_id]) in page
    assert ' style="' not in page


def test_it_says_the_stored_snapshot_stays_viewable_for_a_gone_source(client, reviewer):
    claim = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    evidence = make_snapshot_evidence(claim)
    source = evidence.snapshot.source
    check = SourceCheck.objects.create(
        source=source, checked_at=timezone.now(), outcome="gone", http_status=410, message="Gone"
    )
    claim_flag_recheck(
        claim=claim,
        reason=f"The source {source.url} is gone (HTTP 410).",
        details={"source": source.pk, "gone_check": check.pk},
    )
    client.force_login(reviewer)
    page = client.get(reverse("claims:claim_detail", args=[claim.pk])).content.decode()
    assert "is gone (HTTP 410)" in page and "stored snapshot" in page and "stays viewable" in page
    assert reverse("claims:snapshot_detail", args=[evidence.snapshot_id]) in page


def test_it_shows_a_sources_schedule_and_history(client, reviewer, flagged):
    _, evidence, new = flagged
    source = evidence.snapshot.source
    now = timezone.now()
    source.next_check_at = now + timedelta(days=3)
    source.check_interval = timedelta(days=3)
    source.backs_verdict = True
    source.link_rot_count = 1
    source.unchanged_checks = 4
    source.save()
    SourceCheck.objects.create(
        source=source,
        checked_at=now - timedelta(days=2),
        outcome="changed",
        http_status=200,
        snapshot=new,
        unchanged_before=12,
    )
    SourceCheck.objects.create(
        source=source,
        checked_at=now - timedelta(days=1),
        outcome="error",
        http_status=503,
        message="<b>Service unavailable</b>",
    )
    client.force_login(reviewer)
    response = client.get(reverse("claims:source_detail", args=[source.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert source.url in page and "3 days" in page and "Unchanged ×4" in page
    assert page.count('<tr class="check-') == 2
    assert "unchanged ×12, then</span> changed" in page
    assert "&lt;b&gt;Service unavailable&lt;/b&gt;" in page and "503" in page
    assert page.index("check-error") < page.index("check-changed")  # newest first
    assert reverse("claims:snapshot_detail", args=[new.pk]) in page
    snapshot_page = client.get(reverse("claims:snapshot_detail", args=[new.pk])).content.decode()
    assert reverse("claims:source_detail", args=[new.source_id]) in snapshot_page


def test_it_requires_a_login_for_the_source_page(client, flagged):
    _, evidence, _ = flagged
    response = client.get(reverse("claims:source_detail", args=[evidence.snapshot.source_id]))
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.get(reverse("claims:source_detail", args=[999_999])).status_code == 302


def test_it_shows_the_recheck_without_extra_queries(client, reviewer, flagged):
    claim, _, _ = flagged
    plain = make_sentence_claim(make_article_with_sentences(user=reviewer), "18,000 vehicles")
    make_snapshot_evidence(plain)
    client.force_login(reviewer)
    counts = []
    for item in (plain, claim):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("claims:claim_detail", args=[item.pk])).status_code == 200
        counts.append(len(captured))
    assert counts[0] == counts[1], counts
