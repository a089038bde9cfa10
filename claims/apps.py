from django.apps import AppConfig


class ClaimsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "claims"

    def ready(self) -> None:
        from django.db import transaction

        from sources.signals import snapshot_indexed

        def _rematch(sender, snapshot_id: int, hint: dict, **kwargs) -> None:  # noqa: ANN001
            # Only enqueue here; the matching itself is a task (no business logic in signals).
            if hint.get("inline"):
                return  # `ingest --wait` matches in-process right after fetching
            from .tasks import match_snapshot

            claim_ids = hint.get("claim_ids") or []
            transaction.on_commit(lambda: match_snapshot.delay(snapshot_id, claim_ids))

        snapshot_indexed.connect(_rematch, dispatch_uid="claims.rematch_on_snapshot")

        # Scheduled re-checks: changed or gone sources flag the claims resting on them (claims/recheck.py).
        from sources.signals import snapshot_changed, source_gone

        from . import recheck
        from .signals import claim_changed

        snapshot_changed.connect(recheck.on_snapshot_changed, dispatch_uid="claims.recheck_on_change")
        source_gone.connect(recheck.on_source_gone, dispatch_uid="claims.recheck_on_gone")
        claim_changed.connect(recheck.on_claim_changed, dispatch_uid="claims.recheck_backing_sources")
