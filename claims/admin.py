from django.contrib import admin

from .models import Article, Claim, ClaimEvent, ClaimLink, ClaimSource, Comment, Evidence, Sentence


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
