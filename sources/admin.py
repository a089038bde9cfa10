from django.contrib import admin

from .models import Passage, Snapshot, Source


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
