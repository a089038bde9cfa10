from django.contrib import admin

from .models import Feed, Passage, Snapshot, Source, SourceCheck


@admin.register(Source)
class SourceAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "status",
        "origin",
        "last_fetched_at",
        "next_check_at",
        "consecutive_failures",
    ]
    list_filter = ["status", "origin"]
    search_fields = ["url", "domain"]
    raw_id_fields = ["current_snapshot"]


@admin.register(Snapshot)
class SnapshotAdmin(admin.ModelAdmin):
    list_display = ["source", "fetched_at", "http_status", "content_type", "language", "title"]
    search_fields = ["source__url", "title"]
    raw_id_fields = ["source"]
    exclude = ["raw_body"]

    def has_change_permission(self, request, obj=None) -> bool:
        # Snapshots are the record a verdict rests on: viewable, never editable.
        return False


@admin.register(Passage)
class PassageAdmin(admin.ModelAdmin):
    list_display = ["snapshot", "position", "text"]
    raw_id_fields = ["snapshot"]
    search_fields = ["text"]


@admin.register(SourceCheck)
class SourceCheckAdmin(admin.ModelAdmin):
    list_display = ["source", "checked_at", "outcome", "http_status", "unchanged_before", "message"]
    list_filter = ["outcome"]
    search_fields = ["source__url"]
    raw_id_fields = ["source", "snapshot"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # history, written by the re-checks only


@admin.register(Feed)
class FeedAdmin(admin.ModelAdmin):
    list_display = [
        "url",
        "title",
        "kind",
        "active",
        "interval",
        "last_crawled_at",
        "items_seen",
        "last_error",
    ]
    list_filter = ["active", "kind"]
    search_fields = ["url", "title"]
    readonly_fields = ["last_crawled_at", "last_error", "etag", "last_modified", "items_seen", "added_by"]
    actions = ["crawl_now"]

    def save_model(self, request, obj, form, change) -> None:
        if not change and obj.added_by_id is None:
            obj.added_by = request.user
        super().save_model(request, obj, form, change)

    @admin.action(description="Crawl the selected feeds now")
    def crawl_now(self, request, queryset) -> None:
        from django.db import transaction

        from .tasks import crawl_feed

        feed_ids = list(queryset.values_list("id", flat=True))
        transaction.on_commit(lambda: [crawl_feed.delay(feed_id) for feed_id in feed_ids])
        self.message_user(request, f"Queued {len(feed_ids)} feed crawl(s).")
