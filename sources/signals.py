"""Signals `sources` sends so that apps above it can react without `sources` knowing about them."""

from django.dispatch import Signal

# Sent after a snapshot's passages are indexed. Arguments: snapshot_id, hint (a dict the caller of
# fetch_source passed through, e.g. {"claim_ids": [...]}).
snapshot_indexed = Signal()

# Sent by a re-check, inside the transaction that recorded it, when a source's current snapshot
# changed. Arguments: source_id, old_snapshot_id (may be None), new_snapshot_id, inline (True when
# the caller runs everything in this process, as `recheck --wait` does: receivers work now rather
# than queueing tasks).
snapshot_changed = Signal()

# Sent when a re-check marked a source gone (link rot). Arguments: source_id, reason, inline.
source_gone = Signal()
