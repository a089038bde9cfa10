"""Signals `sources` sends so that apps above it can react without `sources` knowing about them."""

from django.dispatch import Signal

# Sent after a snapshot's passages are indexed (or found indexed already). Arguments: snapshot_id.
snapshot_indexed = Signal()

# Sent by a re-check, inside the transaction that recorded it, when a source's current snapshot
# changed. Arguments: source_id, old_snapshot_id (may be None), new_snapshot_id.
snapshot_changed = Signal()

# Sent when a re-check marked a source gone (link rot). Arguments: source_id, reason.
source_gone = Signal()
