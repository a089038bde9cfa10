"""Who may do what to claims. Reviewers review; editors also revert verdicts and assign claims to others.

Roles are Django groups ("reviewer", "editor"; "admin" counts as editor) plus superusers. Each check
raises NotAllowed with the sentence the user sees; the services call them before changing anything.
"""

from django.contrib.auth.models import AbstractBaseUser

from .errors import NotAllowed
from .models import Claim

EDITOR_GROUPS = {"editor", "admin"}


def is_editor(user: AbstractBaseUser) -> bool:
    return bool(
        user.is_authenticated and (user.is_superuser or user.groups.filter(name__in=EDITOR_GROUPS).exists())
    )


def check_can_revert_verdict(user: AbstractBaseUser) -> None:
    if not is_editor(user):
        raise NotAllowed("Only editors can revert a verdict.")


def check_can_assign(user: AbstractBaseUser, claim: Claim, assignee: AbstractBaseUser | None) -> None:
    """Editors assign anyone; a reviewer may only take an unassigned claim for themselves."""
    taking_it = assignee is not None and assignee.pk == user.pk and claim.assignee_id is None
    if not (is_editor(user) or taking_it):
        raise NotAllowed("Only editors can assign claims to other people.")


def check_can_bulk_assign(user: AbstractBaseUser) -> None:
    if not is_editor(user):
        raise NotAllowed("Only editors can assign claims in bulk.")
