from django.contrib import admin
from django.db import models

from .models import (
    Article,
    Claim,
    ClaimEvent,
    ClaimLink,
    ClaimReviewFeed,
    ClaimSource,
    Comment,
    Evidence,
    FactCheck,
    Sentence,
)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "input_kind", "status", "language", "created_at"]
    list_filter = ["status", "input_kind", "language"]
    search_fields = ["title", "url"]
    raw_id_fields = ["source", "snapshot", "submitted_by"]


@admin.register(Sentence)
class SentenceAdmin(admin.ModelAdmin):
    list_display = ["article", "position", "score", "text"]
    raw_id_fields = ["article"]


class EvidenceInline(admin.TabularInline):
    model = Evidence
    extra = 0
    raw_id_fields = ["passage", "snapshot", "decided_by"]


@admin.register(Claim)
class ClaimAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "score", "needs_recheck", "assignee", "updated_at"]
    list_filter = ["status", "needs_recheck"]
    search_fields = ["text"]
    raw_id_fields = ["article", "sentence", "reviewed_by", "assignee", "promoted_by"]
    inlines = [EvidenceInline]


@admin.register(ClaimLink)
class ClaimLinkAdmin(admin.ModelAdmin):
    list_display = ["claim", "other", "similarity", "state"]
    raw_id_fields = ["claim", "other", "decided_by"]


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["claim", "score", "suggested_stance", "confirmed_stance", "origin"]
    raw_id_fields = ["claim", "passage", "snapshot", "decided_by"]


@admin.register(ClaimSource)
class ClaimSourceAdmin(admin.ModelAdmin):
    list_display = ["claim", "source", "origin", "added_by", "added_by_label", "added_at"]
    list_filter = ["origin"]
    raw_id_fields = ["claim", "source", "added_by"]


@admin.register(ClaimEvent)
class ClaimEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only here too: it can be read, never written, changed or deleted."""

    list_display = ["claim", "kind", "actor", "actor_label", "created_at"]
    list_filter = ["kind"]
    raw_id_fields = ["claim", "actor"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Comment)
class CommentAdmin(admin.ModelAdmin):
    list_display = ["claim", "author", "created_at"]
    raw_id_fields = ["claim", "author"]


@admin.register(ClaimReviewFeed)
class ClaimReviewFeedAdmin(admin.ModelAdmin):
    """Publishers' ClaimReview feeds: fetched by beat (conditional GET) and imported into the library."""

    list_display = ["url", "title", "active", "interval", "last_fetched_at", "last_counts", "last_error"]
    list_filter = ["active"]
    search_fields = ["url", "title"]
    readonly_fields = ["last_fetched_at", "last_error", "last_counts", "etag", "last_modified", "added_by"]
    actions = ["fetch_now"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.added_by_id is None:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Fetch the selected ClaimReview feeds now")
    def fetch_now(self, request, queryset) -> None:
        from factcheck.queueing import enqueue

        from .tasks import fetch_claimreview_feed

        feed_ids = list(queryset.values_list("id", flat=True))
        for feed_id in feed_ids:
            enqueue(fetch_claimreview_feed, feed_id)
        self.message_user(request, f"Queued {len(feed_ids)} ClaimReview feed fetch(es).")


@admin.register(FactCheck)
class FactCheckAdmin(admin.ModelAdmin):
    """The library: imported reviews, feed items and our own verdicts (written by imports, not here)."""

    list_display = [
        "claim_reviewed",
        "publisher_name",
        "rating_name",
        "date_published",
        "origin",
        "updated_at",
    ]
    list_filter = ["origin", "publisher_name"]
    search_fields = ["claim_reviewed", "url", "publisher_name"]
    raw_id_fields = ["claim", "feed"]
    readonly_fields = ["content_hash", "created_at", "updated_at"]
    exclude = ["vectors"]
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
