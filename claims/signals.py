"""Signals `claims` sends so apps above it (partners: webhooks) can react without claims knowing them.

Both are sent inside the transaction that made the change: a receiver's writes commit with it.
"""

from django.dispatch import Signal

# A review action changed a claim. Arguments: claim, kind ("verdict_set", "verdict_changed",
# "needs_recheck", "assigned", ...), actor (a user or None).
claim_changed = Signal()

# The pipeline finished with an article (status done or failed). Arguments: article.
article_processed = Signal()
