"""Editors manage partners, keys and webhooks here. A new key is shown once, in a message."""

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.postgres.forms import SimpleArrayField
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest

from sources import http

from . import services
from .models import ApiKey, Partner, PartnerSubmission, Scope, Webhook, WebhookDelivery
from .webhooks import delivery_redeliver


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    fields = ["prefix", "label", "scopes", "expires_at", "revoked_at", "last_used_at", "created_at"]
    readonly_fields = ["prefix", "label", "scopes", "last_used_at", "created_at"]
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # keys are made by the "API keys" page, which shows the key once


# Webhook URLs are typed with their scheme; Django 6 will assume https for a bare host anyway.
URL_FIELDS = {models.URLField: {"assume_scheme": "https"}}


class WebhookInline(admin.TabularInline):
    model = Webhook
    extra = 0
    formfield_overrides = URL_FIELDS
    fields = ["url", "events", "own_submissions_only", "is_active"]


@admin.register(Partner)
class PartnerAdmin(admin.ModelAdmin):
    list_display = ["name", "contact_email", "is_active", "created_at"]
    list_filter = ["is_active"]
    search_fields = ["name", "contact_email"]
    inlines = [ApiKeyInline, WebhookInline]


class ApiKeyForm(forms.ModelForm):
    scopes = SimpleArrayField(
        forms.ChoiceField(choices=Scope.choices), initial="read", help_text="Comma-separated: read,submit."
    )

    class Meta:
        model = ApiKey
        fields = ["partner", "label", "scopes", "expires_at", "revoked_at"]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    form = ApiKeyForm
    list_display = ["prefix", "partner", "label", "scopes", "expires_at", "revoked_at", "last_used_at"]
    list_filter = ["partner"]
    search_fields = ["prefix", "label", "partner__name"]
    readonly_fields = ["prefix", "last_used_at", "created_by", "created_at"]
    actions = ["revoke"]

    def get_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        if obj is None:
            return ["partner", "label", "scopes", "expires_at"]
        return ["partner", "label", "prefix", "scopes", "expires_at", "revoked_at", *self.readonly_fields[1:]]

    def get_readonly_fields(self, request: HttpRequest, obj: ApiKey | None = None) -> list[str]:
        # Revoking is final (the "Revoke" action); a revoked key is never brought back by editing.
        return [*self.readonly_fields, "partner", "revoked_at"] if obj is not None else []

    def save_model(self, request: HttpRequest, obj: ApiKey, form: Any, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        api_key, raw_key = services.api_key_create(
            partner=obj.partner,
            scopes=list(obj.scopes),
            label=obj.label,
            expires_at=obj.expires_at,
            created_by=request.user,
        )
        obj.pk, obj.prefix = api_key.pk, api_key.prefix
        # The only time anyone sees the key: we keep its hash.
        messages.warning(
            request, f"New API key for {obj.partner} (copy it now, it is not shown again): {raw_key}"
        )

    @admin.action(description="Revoke the selected keys")
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        for api_key in queryset:
            services.api_key_revoke(api_key=api_key)
        messages.success(request, f"Revoked {queryset.count()} key(s).")


@admin.register(Webhook)
class WebhookAdmin(admin.ModelAdmin):
    formfield_overrides = URL_FIELDS
    list_display = ["url", "partner", "events", "own_submissions_only", "is_active"]
    list_filter = ["is_active", "partner"]
    readonly_fields = ["secret", "created_at"]

    def save_model(self, request: HttpRequest, obj: Webhook, form: Any, change: bool) -> None:
        try:
            http.check_url(obj.url, method="POST")
        except http.HttpError as exc:
            # Saved anyway (an editor may fix DNS later), but switched off until the URL is allowed.
            obj.is_active = False
            messages.error(request, f"{exc.message} The webhook was saved switched off.")
        if not obj.secret:
            obj.secret = services.webhook_new_secret()
        super().save_model(request, obj, form, change)


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = ["event", "webhook", "status", "attempts", "response_status", "delivered_at", "created_at"]
    list_filter = ["status", "event"]
    raw_id_fields = ["webhook"]
    readonly_fields = [
        "webhook", "event", "event_id", "payload", "status", "attempts", "last_attempt_at",
        "response_status", "last_error", "delivered_at", "created_at",
    ]  # fmt: skip
    actions = ["redeliver"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @admin.action(description="Send the selected failed deliveries again")
    def redeliver(self, request: HttpRequest, queryset: QuerySet[WebhookDelivery]) -> None:
        failed = list(queryset.filter(status=WebhookDelivery.Status.FAILED))
        for delivery in failed:
            delivery_redeliver(delivery=delivery)
        messages.success(request, f"Queued {len(failed)} deliveries again.")


@admin.register(PartnerSubmission)
class PartnerSubmissionAdmin(admin.ModelAdmin):
    list_display = ["article", "partner", "idempotency_key", "created_at"]
    list_filter = ["partner"]
    raw_id_fields = ["article", "api_key"]
