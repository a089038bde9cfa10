"""Web UI views: thin functions that read through selectors and write through services.

Every page needs a login; every change is a POST form that works without JavaScript and redirects
(htmx only refreshes parts of pages). Editors' actions refused to reviewers answer 403 with the reason.
"""

from .articles import article_detail, article_list, article_progress, article_submit, sentence_promote
from .claim import (
    claim_add_source,
    claim_assign,
    claim_comment,
    claim_detail,
    claim_dismiss,
    claim_link_decide,
    claim_restore,
    claim_revert,
    claim_sources,
    claim_verdict,
    evidence_decide,
    fact_check_match_decide,
)
from .dashboard import dashboard
from .queue import claim_queue, claim_queue_csv, claims_bulk
from .snapshot import snapshot_detail
from .sources import source_detail

__all__ = [
    "article_detail",
    "article_list",
    "article_progress",
    "article_submit",
    "claim_add_source",
    "claim_assign",
    "claim_comment",
    "claim_detail",
    "claim_dismiss",
    "claim_queue",
    "claim_queue_csv",
    "claim_restore",
    "claim_revert",
    "claim_sources",
    "claim_verdict",
    "claims_bulk",
    "dashboard",
    "claim_link_decide",
    "fact_check_match_decide",
    "evidence_decide",
    "sentence_promote",
    "snapshot_detail",
    "source_detail",
]
