"""Writes to claims: their audit trail, verdicts (the state machine), assignment, promotion, dismissal,
comments and bulk actions.

Every change is guarded (who may do it: claims/permissions.py; from which state: here), made under a row
lock with optimistic version checking, recorded as a ClaimEvent in the same transaction, and announced
with `claims.signals.claim_changed` (inside the transaction, so a listener's writes — the partners'
webhook outbox — commit or roll back with the change itself).
"""

import hashlib
import re
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils import timezone

from ..errors import ReviewError, StaleVersion
from ..models import Claim, ClaimEvent, Comment, Sentence
from ..permissions import check_can_assign, check_can_bulk_assign, check_can_revert_verdict
from ..signals import claim_changed

VERDICTS = {Claim.Status.VERIFIED, Claim.Status.DISPUTED}


def fingerprint(text: str) -> str:
    """A hash of the lower-cased words: the same sentence in two articles has one fingerprint."""
    words = re.findall(r"\w+", text.lower())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def claim_record_event(
    *,
    claim: Claim,
    kind: str,
    actor: AbstractBaseUser | None = None,
    actor_label: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> ClaimEvent:
    return ClaimEvent.objects.create(
        claim=claim,
        actor=actor if actor is not None and actor.is_authenticated else None,
        actor_label=actor_label or ("" if actor else "system"),
        kind=kind,
        before=before or {},
        after=after or {},
        note=note,
    )


def _jsonable(value: Any) -> Any:
    if hasattr(value, "pk"):
        return value.pk
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def _change(
    claim: Claim,
    *,
    user: AbstractBaseUser | None,
    kind: str,
    changes: dict[str, Any],
    expected_version: int | None,
    note: str = "",
    extra_after: dict[str, Any] | None = None,
) -> Claim:
    """Apply field changes under a row lock, bump the version, audit and announce them."""
    with transaction.atomic():
        current = Claim.objects.select_for_update(of=("self",)).select_related("reviewed_by").get(pk=claim.pk)
        if expected_version is not None and current.version != expected_version:
            raise StaleVersion(current)
        before = {field: _jsonable(getattr(current, field)) for field in changes}
        for field, value in changes.items():
            setattr(current, field, value)
        current.version += 1
        current.save(update_fields=[*changes, "version", "updated_at"])
        after = {field: _jsonable(value) for field, value in changes.items()} | (extra_after or {})
        claim_record_event(claim=current, kind=kind, actor=user, before=before, after=after, note=note)
        claim_changed.send(sender=Claim, claim=current, kind=kind, actor=user)
    return current


def claim_set_verdict(
    *,
    claim: Claim,
    user: AbstractBaseUser,
    status: str,
    rationale: str,
    rating_label: str = "",
    expected_version: int | None,
) -> Claim:
    """Mark a claim verified or disputed; the confirmed evidence's snapshots are pinned in the audit."""
    if status not in VERDICTS:
        raise ReviewError("A verdict is either verified or disputed.")
    rationale = rationale.strip()
    if not rationale:
        raise ReviewError("Write a rationale: readers and partners see why the claim was judged so.")
    if claim.status == Claim.Status.DISMISSED:
        raise ReviewError("This claim was dismissed; restore it before giving a verdict.")
    kind = "verdict_changed" if claim.has_verdict and claim.status != status else "verdict_set"
    pinned = [
        {"evidence": e.pk, "snapshot": e.snapshot_id, "stance": e.confirmed_stance or e.suggested_stance}
        for e in claim.evidence.filter(is_confirmed=True)
    ]
    return _change(
        claim,
        user=user,
        kind=kind,
        changes={
            "status": status,
            "rationale": rationale,
            "rating_label": rating_label.strip()[:100],
            "reviewed_by": user,
            "reviewed_at": timezone.now(),
            "needs_recheck": False,
            "recheck_reason": "",
        },
        expected_version=expected_version,
        extra_after={"pinned_evidence": pinned},
    )


def claim_flag_recheck(
    *, claim: Claim, reason: str, diff: str = "", details: dict[str, Any] | None = None
) -> Claim:
    """Put a claim back in the re-review queue because its evidence changed or vanished.

    A system action (no user): the audit event's `after` carries the diff and the snapshots involved,
    and `claim_changed` (kind "needs_recheck") gives partners their `claim.needs_recheck` webhook.
    The verdict itself and the snapshots it pinned stay as they were.
    """
    return _change(
        claim,
        user=None,
        kind="needs_recheck",
        changes={"needs_recheck": True, "recheck_reason": reason[:2000]},
        expected_version=None,
        extra_after={"diff": diff, **(details or {})},
    )


def claim_revert_verdict(
    *, claim: Claim, user: AbstractBaseUser, note: str, expected_version: int | None
) -> Claim:
    check_can_revert_verdict(user)
    if not claim.has_verdict:
        raise ReviewError("This claim has no verdict to revert.")
    return _change(
        claim,
        user=user,
        kind="verdict_reverted",
        changes={"status": Claim.Status.IN_REVIEW, "rationale": "", "rating_label": ""},
        expected_version=expected_version,
        note=note.strip(),
    )


def claim_dismiss(
    *, claim: Claim, user: AbstractBaseUser, reason: str = "", expected_version: int | None = None
) -> Claim:
    if claim.has_verdict:
        raise ReviewError("A claim with a verdict cannot be dismissed; an editor can revert it first.")
    return _change(
        claim,
        user=user,
        kind="dismissed",
        changes={"status": Claim.Status.DISMISSED},
        expected_version=expected_version,
        note=reason.strip(),
    )


def claim_restore(*, claim: Claim, user: AbstractBaseUser, expected_version: int | None = None) -> Claim:
    if claim.status != Claim.Status.DISMISSED:
        raise ReviewError("Only a dismissed claim can be restored.")
    return _change(
        claim,
        user=user,
        kind="restored",
        changes={"status": Claim.Status.UNREVIEWED},
        expected_version=expected_version,
    )


def claim_assign(
    *,
    claim: Claim,
    user: AbstractBaseUser,
    assignee: AbstractBaseUser | None,
    expected_version: int | None = None,
) -> Claim:
    """Editors assign anyone; a reviewer may only take an unassigned claim for themselves."""
    check_can_assign(user, claim, assignee)
    changes: dict[str, Any] = {"assignee": assignee}
    if claim.status == Claim.Status.UNREVIEWED and assignee is not None:
        changes["status"] = Claim.Status.IN_REVIEW
    return _change(claim, user=user, kind="assigned", changes=changes, expected_version=expected_version)


def claim_promote_sentence(*, sentence: Sentence, user: AbstractBaseUser) -> Claim:
    """A reviewer turns a sentence the scorer passed over into a claim."""
    from ..pipeline import claim_from_sentence

    claim, created = claim_from_sentence(sentence, promoted_by=user)
    if created:
        from factcheck.queueing import enqueue

        from ..tasks import match_claims_to_fact_checks

        enqueue(match_claims_to_fact_checks, [claim.pk])
    if not created and claim.status == Claim.Status.DISMISSED:
        claim = claim_restore(claim=claim, user=user)
    return claim


def comment_add(*, claim: Claim, user: AbstractBaseUser, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise ReviewError("A comment cannot be empty.")
    with transaction.atomic():
        comment = Comment.objects.create(claim=claim, author=user, body=body[:10_000])
        claim_record_event(claim=claim, kind="commented", actor=user, after={"comment": comment.pk})
    return comment


def claims_bulk_update(
    *, claims: list[Claim], user: AbstractBaseUser, action: str, assignee: AbstractBaseUser | None = None
) -> tuple[int, list[str]]:
    """Dismiss or assign many claims from the queue. Returns (changed, one message per refusal).

    Each claim is its own transaction: one claim that cannot change (a verdict blocks dismissal)
    does not undo the others. Bulk assignment is for editors only, even of unassigned claims.
    """
    if action == "assign":
        check_can_bulk_assign(user)
    if action not in {"assign", "dismiss"}:
        raise ReviewError(f"Unknown bulk action {action!r}.")
    changed, refused = 0, []
    for claim in claims:
        if action == "dismiss" and claim.status == Claim.Status.DISMISSED:
            continue  # already gone from the queue; a second event would only add noise
        try:
            if action == "assign":
                claim_assign(claim=claim, user=user, assignee=assignee)
            else:
                claim_dismiss(claim=claim, user=user, reason="dismissed in bulk from the queue")
        except ReviewError as exc:
            refused.append(f"Claim {claim.pk}: {exc}")
        else:
            changed += 1
    return changed, refused
