"""What reviewers and editors do to claims: verdicts, evidence decisions, assignment, comments.

Every change is guarded (who may do it, from which state), made under a row lock with optimistic
version checking, recorded as a ClaimEvent in the same transaction, and announced with
`claims.signals.claim_changed` (inside the transaction, so a listener's writes — the partners'
webhook outbox — commit or roll back with the change itself).
"""

from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from factcheck.queueing import enqueue
from sources.models import Source
from sources.services import source_get_or_create

from .models import Claim, ClaimLink, ClaimSource, Comment, Evidence, Sentence, Stance
from .services import claim_record_event, claims_link_sources
from .signals import claim_changed

EDITOR_GROUPS = {"editor", "admin"}
VERDICTS = {Claim.Status.VERIFIED, Claim.Status.DISPUTED}


class ReviewError(Exception):
    """A review action that cannot be done; the message is shown to the user as is."""


class StaleVersion(ReviewError):
    """Someone saved the claim after this user loaded it; nothing was changed."""

    def __init__(self, claim: Claim) -> None:
        who = claim.reviewed_by.get_username() if claim.reviewed_by else "someone else"
        super().__init__(
            f"This claim was changed by {who} while you were working on it (now version "
            f"{claim.version}). Your text is kept below: review the latest state and save again."
        )
        self.current = claim


class NotAllowed(ReviewError):
    pass


def is_editor(user: AbstractBaseUser) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or user.groups.filter(name__in=EDITOR_GROUPS).exists())
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
    if not is_editor(user):
        raise NotAllowed("Only editors can revert a verdict.")
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
    taking_it = assignee is not None and assignee.pk == user.pk and claim.assignee_id is None
    if not (is_editor(user) or taking_it):
        raise NotAllowed("Only editors can assign claims to other people.")
    changes: dict[str, Any] = {"assignee": assignee}
    if claim.status == Claim.Status.UNREVIEWED and assignee is not None:
        changes["status"] = Claim.Status.IN_REVIEW
    return _change(claim, user=user, kind="assigned", changes=changes, expected_version=expected_version)


def claim_promote_sentence(*, sentence: Sentence, user: AbstractBaseUser) -> Claim:
    """A reviewer turns a sentence the scorer passed over into a claim."""
    from .pipeline import claim_from_sentence

    claim, created = claim_from_sentence(sentence, promoted_by=user)
    if not created and claim.status == Claim.Status.DISMISSED:
        claim = claim_restore(claim=claim, user=user)
    return claim


def evidence_decide(
    *,
    evidence: Evidence,
    user: AbstractBaseUser,
    confirmed: bool,
    stance: str = "",
) -> Evidence:
    """Confirm (optionally with a corrected stance) or reject a piece of evidence."""
    if stance and stance not in Stance.values:
        raise ReviewError(f"Unknown stance {stance!r}.")
    with transaction.atomic():
        evidence = Evidence.objects.select_for_update().get(pk=evidence.pk)
        before = {"confirmed": evidence.is_confirmed, "rejected": evidence.is_rejected,
                  "stance": evidence.confirmed_stance}  # fmt: skip
        evidence.is_confirmed, evidence.is_rejected = confirmed, not confirmed
        evidence.confirmed_stance = (stance or evidence.suggested_stance) if confirmed else ""
        evidence.decided_by, evidence.decided_at = user, timezone.now()
        evidence.save(
            update_fields=["is_confirmed", "is_rejected", "confirmed_stance", "decided_by", "decided_at"]
        )
        claim_record_event(
            claim=evidence.claim,
            kind="evidence_confirmed" if confirmed else "evidence_rejected",
            actor=user,
            before=before,
            after={
                "evidence": evidence.pk,
                "snapshot": evidence.snapshot_id,
                "stance": evidence.confirmed_stance,
            },  # fmt: skip
        )
    return evidence


def claim_link_decide(*, link: ClaimLink, user: AbstractBaseUser, confirmed: bool) -> ClaimLink:
    """A reviewer confirms or rejects a near-duplicate link; both directions change, who and when kept."""
    state = ClaimLink.State.CONFIRMED if confirmed else ClaimLink.State.REJECTED
    with transaction.atomic():
        now = timezone.now()
        ClaimLink.objects.filter(
            Q(claim_id=link.claim_id, other_id=link.other_id)
            | Q(claim_id=link.other_id, other_id=link.claim_id)
        ).update(state=state, decided_by=user, decided_at=now)
        claim_record_event(
            claim=link.claim,
            kind="duplicate_confirmed" if confirmed else "duplicate_rejected",
            actor=user,
            before={"state": link.state},
            after={"other": link.other_id, "state": state, "similarity": link.similarity},
        )
    link.refresh_from_db()
    return link


def comment_add(*, claim: Claim, user: AbstractBaseUser, body: str) -> Comment:
    body = body.strip()
    if not body:
        raise ReviewError("A comment cannot be empty.")
    with transaction.atomic():
        comment = Comment.objects.create(claim=claim, author=user, body=body[:10_000])
        claim_record_event(claim=claim, kind="commented", actor=user, after={"comment": comment.pk})
    return comment


def claim_add_source(
    *, claim: Claim, url: str, user: AbstractBaseUser | None = None, actor_label: str = ""
) -> Source:
    """Register a URL as a source for this claim and queue it; its passages are matched on arrival."""
    from urllib.parse import urlsplit

    from sources.tasks import fetch_source

    parts = urlsplit(url.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ReviewError("Enter a full web address starting with http:// or https://.")
    by_reviewer = user is not None
    with transaction.atomic():
        source = source_get_or_create(
            url=url, origin=Source.Origin.REVIEWER if by_reviewer else Source.Origin.PARTNER
        )
        claims_link_sources(
            claims=[claim],
            sources=[source],
            origin=ClaimSource.Origin.REVIEWER if by_reviewer else ClaimSource.Origin.PARTNER,
            user=user,
            label=actor_label,
        )
        claim_record_event(
            claim=claim, kind="source_added", actor=user, actor_label=actor_label,
            after={"source": source.pk, "url": source.url},
        )  # fmt: skip
        enqueue(fetch_source, source.pk)
    return source


def claims_bulk_update(
    *, claims: list[Claim], user: AbstractBaseUser, action: str, assignee: AbstractBaseUser | None = None
) -> tuple[int, list[str]]:
    """Dismiss or assign many claims from the queue. Returns (changed, one message per refusal).

    Each claim is its own transaction: one claim that cannot change (a verdict blocks dismissal)
    does not undo the others. Bulk assignment is for editors only, even of unassigned claims.
    """
    if action == "assign" and not is_editor(user):
        raise NotAllowed("Only editors can assign claims in bulk.")
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
