"""Forms of the reviewer UI: they validate input and nothing else; services do the work."""

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from .models import Claim, Stance
from .selectors.queue import QUEUE_SORTS

User = get_user_model()

# Suggestions only: newsrooms use their own rating scales, so the field stays free text.
RATIONALE_REQUIRED = "Write a rationale: readers and partners see why the claim was judged so."
RATING_SUGGESTIONS = ["True", "Mostly true", "Half true", "Misleading", "Mostly false", "False"]


class ArticleSubmitForm(forms.Form):
    url = forms.URLField(
        label="Web address",
        required=False,
        max_length=2000,
        assume_scheme="https",
        widget=forms.URLInput(attrs={"placeholder": "https://…"}),
    )
    text = forms.CharField(
        label="…or paste the article text",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    title = forms.CharField(label="Title (optional)", required=False, max_length=1000)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        url, text = data.get("url") or "", (data.get("text") or "").strip()
        if url and text:
            raise forms.ValidationError("Give either a web address or pasted text, not both.")
        if not url and not text and not self.errors:
            raise forms.ValidationError("Give a web address or paste the article text.")
        return data


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the query string; every field is optional."""

    STATUS_CHOICES = [("open", "open (unreviewed or in review)"), ("all", "all"), *Claim.Status.choices]
    ASSIGNEE_FIXED = [("", "anyone"), ("me", "me"), ("none", "nobody")]

    q = forms.CharField(label="Search", required=False, max_length=200)
    status = forms.ChoiceField(choices=STATUS_CHOICES, required=False)
    min_score = forms.FloatField(label="Minimum score", required=False, min_value=0, max_value=1)
    article = forms.IntegerField(label="Article id", required=False, min_value=1)
    assignee = forms.ChoiceField(required=False)
    needs_recheck = forms.BooleanField(label="Needs re-review only", required=False)
    created_from = forms.DateField(
        label="Found from", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    created_to = forms.DateField(
        label="Found until", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    min_partners = forms.IntegerField(label="Asked by at least (partners)", required=False, min_value=1)
    sort = forms.ChoiceField(
        choices=[(key, label) for key, (label, _) in QUEUE_SORTS.items()], required=False
    )

    def __init__(self, *args: Any, assignees: list[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].choices = self.ASSIGNEE_FIXED + [
            (str(user.pk), user.get_username()) for user in assignees
        ]

    def filters(self) -> dict[str, Any]:
        """Cleaned values for `claim_queue`; invalid fields are ignored rather than failing the page."""
        self.is_valid()  # Django leaves invalid fields out of cleaned_data
        data = self.cleaned_data
        return {
            "q": data.get("q") or "",
            "status": data.get("status") or "open",
            "min_score": data.get("min_score"),
            "article_id": data.get("article"),
            "assignee": data.get("assignee") or "",
            "needs_recheck": bool(data.get("needs_recheck")),
            "created_from": data.get("created_from"),
            "created_to": data.get("created_to"),
            "min_partners": data.get("min_partners"),
            "sort": data.get("sort") or "-score",
        }


class BulkActionForm(forms.Form):
    ACTIONS = [("dismiss", "Dismiss"), ("assign", "Assign to…")]

    claims = forms.ModelMultipleChoiceField(
        queryset=Claim.objects.only("id", "status", "version", "assignee_id"),
        error_messages={"required": "Select at least one claim."},
    )
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.ModelChoiceField(queryset=User.objects.filter(is_active=True), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("action") == "assign" and not data.get("assignee"):
            self.add_error("assignee", "Choose whom to assign the claims to.")
        return data


class VerdictForm(forms.Form):
    status = forms.ChoiceField(
        label="Verdict",
        choices=[(Claim.Status.VERIFIED, "Verified"), (Claim.Status.DISPUTED, "Disputed")],
        widget=forms.RadioSelect,
    )
    rationale = forms.CharField(
        label="Rationale",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20_000,
        error_messages={"required": RATIONALE_REQUIRED},
    )
    rating_label = forms.CharField(
        label="Rating label (optional)",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"list": "rating-suggestions"}),
    )
    # The claim version the reviewer saw: a save over a newer change is refused (optimistic locking).
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)


class EvidenceDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=[("confirm", "Confirm"), ("reject", "Reject")])
    stance = forms.ChoiceField(choices=[("", "as suggested"), *Stance.choices], required=False)


class CommentForm(forms.Form):
    body = forms.CharField(label="Add a comment", widget=forms.Textarea(attrs={"rows": 3}), max_length=10_000)


class AddSourceForm(forms.Form):
    url = forms.URLField(label="Source web address", max_length=2000, assume_scheme="https")


class AssignForm(forms.Form):
    assignee = forms.ModelChoiceField(
        queryset=User.objects.filter(is_active=True), required=False, empty_label="nobody"
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)


class ReasonForm(forms.Form):
    """Dismiss, restore and revert: an optional note and the version the user saw."""

    reason = forms.CharField(required=False, max_length=2000)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, required=False)
