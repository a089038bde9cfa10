"""Every signal receiver the apps rely on is connected and stays connected.

A receiver connected weakly as a nested function is collected as soon as the function that made it
returns; the signal then has nobody to tell, silently. This happened once (evidence from linked
sources never reached claims on the workers). These tests make it loud.
"""

import gc

import pytest
from django.utils.module_loading import import_string

from claims.models import Article, Claim, ClaimSource, Evidence
from claims.receivers import RECEIVERS
from sources.extraction import ExtractedDocument
from sources.services import snapshot_record, source_get_or_create
from sources.tasks import index_snapshot

# Receivers of other apps, by (signal, dispatch uid).
PARTNER_RECEIVERS = [
    ("claims.signals.claim_changed", "partners.webhooks.claim_changed"),
    ("claims.signals.article_processed", "partners.webhooks.article_processed"),
]


def _is_connected(signal_path: str, uid: str) -> bool:
    """Disconnect by uid (True only if a live receiver was there), then put it back as it was."""
    signal = import_string(signal_path)
    with signal.lock:
        entries = [entry for entry in signal.receivers if entry[0][0] == uid]
    if not signal.disconnect(dispatch_uid=uid):
        return False
    with signal.lock:
        signal.receivers.extend(entries)
        signal.sender_receivers_cache.clear()
    return True


@pytest.mark.parametrize(("signal_path", "receiver", "uid"), RECEIVERS, ids=[uid for *_, uid in RECEIVERS])
def test_it_keeps_each_claims_receiver_connected_after_garbage_collection(signal_path, receiver, uid):
    gc.collect()
    signal = import_string(signal_path)
    assert signal.has_listeners()
    assert _is_connected(signal_path, uid), f"{uid} is not connected to {signal_path}"
    assert receiver.__qualname__ == receiver.__name__, "a module-level function, never a closure"


@pytest.mark.parametrize(("signal_path", "uid"), PARTNER_RECEIVERS, ids=[uid for _, uid in PARTNER_RECEIVERS])
def test_it_keeps_the_webhook_receivers_connected(signal_path, uid):
    gc.collect()
    assert _is_connected(signal_path, uid), f"{uid} is not connected to {signal_path}"


@pytest.mark.django_db
def test_an_indexed_snapshot_brings_evidence_to_the_claims_linked_to_its_source(
    django_capture_on_commit_callbacks,
):
    gc.collect()
    text = "Bus ridership in Harbour City rose to 41 million trips in 2024."
    article = Article.objects.create(input_kind="text", submitted_body=text, text=text, status="done")
    claim = Claim.objects.create(
        article=article, text=text, start=0, end=len(text), score=0.9, fingerprint="r"
    )
    source = source_get_or_create(url="https://transit.example/ridership-2024")
    ClaimSource.objects.create(claim=claim, source=source, origin=ClaimSource.Origin.REVIEWER)
    report = "The transit agency said Harbour City buses carried 41 million trips in 2024. Fares were frozen."
    snapshot, _ = snapshot_record(
        source=source, result=None, document=ExtractedDocument(text=report, language="en"), raw_body=b""
    )

    with django_capture_on_commit_callbacks(execute=True):
        index_snapshot.delay(snapshot.pk)  # tasks run eagerly in unit tests; the receiver queues matching

    evidence = Evidence.objects.get(claim=claim)
    assert evidence.snapshot_id == snapshot.pk and "41 million trips" in evidence.passage.text
    assert ClaimSource.objects.get(claim=claim).matched_at is not None
