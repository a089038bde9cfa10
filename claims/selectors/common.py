"""Reads shared by the reviewer pages' selectors."""

from ..models import Claim

OPEN_STATUSES = (Claim.Status.UNREVIEWED, Claim.Status.IN_REVIEW)
# Large article columns no list or claim page needs: deferred so a long article is never loaded for a row.
ARTICLE_HEAVY_FIELDS = ("article__text", "article__submitted_body", "article__outbound_links")
# Characters of surrounding text shown around a claim or a quoted passage.
CONTEXT_CHARS = 280
