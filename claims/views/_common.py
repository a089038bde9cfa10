"""Helpers shared by the UI views."""

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

from claims.errors import NotAllowed

from ..models import Claim
from ..selectors.claim_page import claim_for_page


def get_claim_for_user(request: HttpRequest, pk: int) -> Claim:
    """The claim a signed-in user may see and act on: every reviewer sees every claim today.

    The one place to narrow that (per desk, per partner) when the newsroom needs it.
    """
    return claim_for_page(pk)


def safe_next(request: HttpRequest, default: str) -> str:
    """Where to go back after a POST: the page's own `next`, if it points at this site."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def refuse(exc: NotAllowed) -> PermissionDenied:
    """A 403 page that says what was refused and why (templates/403.html shows the message)."""
    return PermissionDenied(str(exc))
