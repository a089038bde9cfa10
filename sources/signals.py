"""Signals `sources` sends so that apps above it can react without `sources` knowing about them."""

from django.dispatch import Signal

# Sent after a snapshot's passages are indexed. Arguments: snapshot_id, hint (a dict the caller of
# fetch_source passed through, e.g. {"claim_ids": [...]}).
snapshot_indexed = Signal()
