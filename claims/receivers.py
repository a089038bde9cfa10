"""What claims does when `sources` or claims' own signals fire. Connected in `ClaimsConfig.ready()`.

Receivers only hand work over: each one queues a task (after the sender's transaction commits) or
calls one small function. Module-level functions, so the signal's weak reference keeps them alive
for the life of the process; a nested function would be collected as soon as `ready()` returned.
"""

from typing import Any

from factcheck.queueing import enqueue

from .models import Claim


def match_new_snapshot(sender: Any, *, snapshot_id: int, **kwargs: Any) -> None:
    """A snapshot's passages are indexed: match the claims linked to its source, and open claims."""
    from .tasks import match_snapshot

    enqueue(match_snapshot, snapshot_id)


def recheck_claims_on_change(
    sender: Any, *, source_id: int, old_snapshot_id: int | None, new_snapshot_id: int, **kwargs: Any
) -> None:
    """A re-checked source changed: flag the claims whose evidence no longer reads the same."""
    from .tasks import recheck_claims_for_change

    enqueue(recheck_claims_for_change, source_id, old_snapshot_id, new_snapshot_id)


def flag_claims_on_gone(sender: Any, *, source_id: int, reason: str = "", **kwargs: Any) -> None:
    from .tasks import flag_claims_on_gone_source

    enqueue(flag_claims_on_gone_source, source_id, reason)


def move_verdict_sources_to_verdict_cadence(sender: Any, *, claim: Claim, kind: str, **kwargs: Any) -> None:
    """A verdict now rests on this claim's evidence: its sources are re-checked on the verdict cadence."""
    from claims.services.recheck import claim_sources_back_verdict

    if kind in {"verdict_set", "verdict_changed"}:
        claim_sources_back_verdict(claim)


def keep_our_verdict_in_library(sender: Any, *, claim: Claim, kind: str, **kwargs: Any) -> None:
    """A verdict set, changed or reverted: the library entry of our verdict follows it."""
    from claims.services.factchecks import factcheck_record_verdict

    if kind in {"verdict_set", "verdict_changed", "verdict_reverted"}:
        factcheck_record_verdict(claim)


# (signal path, receiver, dispatch uid): what ready() connects and what the tests check is live.
RECEIVERS = [
    ("sources.signals.snapshot_indexed", match_new_snapshot, "claims.match_new_snapshot"),
    ("sources.signals.snapshot_changed", recheck_claims_on_change, "claims.recheck_claims_on_change"),
    ("sources.signals.source_gone", flag_claims_on_gone, "claims.flag_claims_on_gone"),
    (
        "claims.signals.claim_changed",
        move_verdict_sources_to_verdict_cadence,
        "claims.move_verdict_sources_to_verdict_cadence",
    ),
    ("claims.signals.claim_changed", keep_our_verdict_in_library, "claims.keep_our_verdict_in_library"),
]
