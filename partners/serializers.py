"""Input and output shapes of the partner API. Output never names reviewers or carries comments."""

from typing import Any

from django.conf import settings
from django.core.validators import RegexValidator
from drf_spectacular.utils import PolymorphicProxySerializer, extend_schema_field
from rest_framework import serializers

from claims.models import Article, Claim, Evidence, FactCheck

from .models import Event, Webhook, WebhookDelivery

VERDICTS = {Claim.Status.VERIFIED, Claim.Status.DISPUTED}


# --- input ---------------------------------------------------------------------------------------
# Patterns that put the services' rules into the OpenAPI schema, so what it calls valid is accepted.
# PostgreSQL text cannot hold NUL characters: every string field says so.
NO_NUL = r"^[^\x00]*$"
# Not NUL and not what Python's str.isspace() calls whitespace (the submit service strips those), spelt
# out because JSON Schema's \s and Python's \s disagree about \x1c-\x1f and \x85.
_VISIBLE = r"[^\x00\t\n\x0b\x0c\r\x1c-\x20\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
SOME_TEXT = rf"^[^\x00]*{_VISIBLE}[^\x00]*$"
# A host name or IPv4 address (no credentials, no IPv6 literal), an optional port, then anything visible.
HTTP_URL = r"^https?://[^\x00-\x20\x7f/?#@:\[\]]+(:[0-9]{1,5})?([/?#][^\x00-\x20\x7f]*)?$"
MAX_BODY_CHARS = settings.PIPELINE_MAX_TEXT_CHARS * 5


class JsonBooleanField(serializers.BooleanField):
    """true or false, not 0, "yes" or "on": DRF's leniency would accept what the schema forbids."""

    def to_internal_value(self, data: Any) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)


class JsonCharField(serializers.CharField):
    """A JSON string only: DRF would turn 0 into "0", which the schema calls invalid."""

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class QueryBooleanField(serializers.BooleanField):
    def to_internal_value(self, data: Any) -> bool:
        if data in ("true", "false"):
            return data == "true"
        self.fail("invalid", input=data)


def _url(**kwargs: Any) -> JsonCharField:
    return JsonCharField(
        max_length=2000,
        validators=[RegexValidator(HTTP_URL, "Enter an http:// or https:// address.")],
        **kwargs,
    )


def _body(**kwargs: Any) -> JsonCharField:
    return JsonCharField(
        max_length=MAX_BODY_CHARS,
        trim_whitespace=False,
        validators=[RegexValidator(SOME_TEXT, "Send some text (and no NUL characters).")],
        **kwargs,
    )


def _title() -> JsonCharField:
    return JsonCharField(
        required=False, allow_blank=True, max_length=1000, default="", validators=[RegexValidator(NO_NUL)]
    )


class ArticleSubmitSerializer(serializers.Serializer):
    """Exactly one of url, html or text (the others absent or empty)."""

    url = _url(required=False, allow_blank=True, default="")
    html = _body(required=False, allow_blank=True, default="")
    text = _body(required=False, allow_blank=True, default="")
    title = _title()

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in ("url", "html", "text") if attrs.get(name)]
        if len(given) != 1:
            raise serializers.ValidationError("Give exactly one of url, html or text.")
        return attrs


class UrlSubmissionSerializer(serializers.Serializer):
    url = _url(help_text="The article's address; we fetch it.")
    title = _title()


class HtmlSubmissionSerializer(serializers.Serializer):
    html = _body(help_text="The article's HTML page; its main text is extracted.")
    title = _title()


class TextSubmissionSerializer(serializers.Serializer):
    text = _body(help_text="The article's text, pasted.")
    title = _title()


# For the schema only: ArticleSubmitSerializer validates, this says "one of these three" in OpenAPI.
ArticleSubmissionSchema = PolymorphicProxySerializer(
    component_name="ArticleSubmission",
    serializers=[UrlSubmissionSerializer, HtmlSubmissionSerializer, TextSubmissionSerializer],
    resource_type_field_name=None,
)


class ClaimFilterSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=Claim.Status.choices, required=False)
    verdict = serializers.ChoiceField(
        choices=["verified", "disputed", "any", "none"],
        required=False,
        help_text="`any`: claims with a verdict; `none`: claims without one.",
    )
    updated_since = serializers.DateTimeField(required=False)
    article = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    q = serializers.CharField(
        required=False,
        min_length=1,
        max_length=200,
        trim_whitespace=False,
        validators=[RegexValidator(NO_NUL)],
        help_text="Text the claim contains.",
    )
    needs_recheck = QueryBooleanField(required=False)


class ClaimSearchSerializer(serializers.Serializer):
    q = serializers.CharField(
        min_length=3,
        max_length=1000,
        trim_whitespace=False,
        validators=[RegexValidator(SOME_TEXT)],
        help_text="A claim, or words from one.",
    )
    limit = serializers.IntegerField(required=False, min_value=1, max_value=50, default=10)


class ClaimRequestCreateSerializer(serializers.Serializer):
    text = JsonCharField(
        min_length=3,
        max_length=2000,
        validators=[RegexValidator(SOME_TEXT, "Send some text (and no NUL characters).")],
        help_text="The claim, as the partner read it.",
    )


class SourceSuggestionSerializer(serializers.Serializer):
    url = _url(help_text="An http(s) page that bears on the claim.")


class WebhookCreateSerializer(serializers.Serializer):
    url = _url(help_text="Where events are POSTed; public addresses only.")
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=Event.choices), min_length=1, max_length=len(Event.values)
    )
    own_submissions_only = JsonBooleanField(required=False, default=True)


# --- output --------------------------------------------------------------------------------------


class ArticleSummarySerializer(serializers.ModelSerializer):
    claim_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Article
        fields = ["id", "status", "input_kind", "url", "title", "created_at", "processed_at", "claim_count"]


class ClaimSummarySerializer(serializers.ModelSerializer):
    article = serializers.IntegerField(source="article_id", read_only=True)
    verdict = serializers.SerializerMethodField()

    class Meta:
        model = Claim
        fields = [
            "id", "article", "text", "start", "end", "score", "status", "verdict", "rationale",
            "rating_label", "reviewed_at", "needs_recheck", "recheck_reason", "updated_at",
        ]  # fmt: skip

    def get_verdict(self, claim: Claim) -> str | None:
        return claim.status if claim.status in VERDICTS else None


class ArticleDetailSerializer(serializers.ModelSerializer):
    progress = serializers.ListField(child=serializers.DictField(child=serializers.CharField()))
    claims = ClaimSummarySerializer(many=True, read_only=True)

    class Meta:
        model = Article
        fields = [
            "id", "status", "progress", "error", "input_kind", "url", "title", "byline", "site_name",
            "published_on", "language", "text", "created_at", "processed_at", "claims",
        ]  # fmt: skip


class SnapshotRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.CharField(source="final_url")
    fetched_at = serializers.DateTimeField()
    content_hash = serializers.CharField(help_text="sha256 of the snapshot's extracted text")


class EvidenceSerializer(serializers.ModelSerializer):
    source_url = serializers.CharField(source="snapshot.source.url")
    passage = serializers.CharField(source="passage.text", help_text="The quoted passage.")
    stance = serializers.SerializerMethodField()
    confirmed = serializers.BooleanField(source="is_confirmed")
    snapshot = SnapshotRefSerializer()

    class Meta:
        model = Evidence
        fields = ["id", "source_url", "passage", "stance", "stance_reason", "confirmed", "origin", "score",
                  "snapshot"]  # fmt: skip

    def get_stance(self, evidence: Evidence) -> str:
        """The reviewer's stance when confirmed, otherwise the machine's suggestion."""
        return evidence.confirmed_stance or evidence.suggested_stance


class ArticleRefSerializer(serializers.ModelSerializer):
    class Meta:
        model = Article
        fields = ["id", "url", "title", "published_on"]


class PublisherSerializer(serializers.Serializer):
    name = serializers.CharField()
    url = serializers.CharField(help_text="Empty when the review did not say.")


class RatingSerializer(serializers.Serializer):
    name = serializers.CharField(help_text="The rating in words (ClaimReview `alternateName`), or empty.")
    value = serializers.FloatField(allow_null=True)
    best = serializers.FloatField(allow_null=True)
    worst = serializers.FloatField(allow_null=True)
    text = serializers.CharField(help_text='What a reader sees: the words, the value, or "rating not given".')


class LibraryEntrySerializer(serializers.Serializer):
    """A published review (ClaimReview) in the fact-check library."""

    url = serializers.SerializerMethodField(help_text="The review's address.")
    claim_reviewed = serializers.CharField()
    headline = serializers.CharField()
    claimant = serializers.CharField()
    claim_date = serializers.DateField(allow_null=True)
    publisher = serializers.SerializerMethodField()
    rating = serializers.SerializerMethodField()
    language = serializers.CharField()
    date_published = serializers.DateField(allow_null=True)
    origin = serializers.CharField(help_text="import, feed, or our_verdict (one of our own verdicts).")
    our_claim = serializers.IntegerField(source="claim_id", allow_null=True, help_text="For our verdicts.")

    def get_url(self, entry: FactCheck) -> str:
        request = self.context.get("request")
        if entry.url.startswith("/") and request is not None:
            return request.build_absolute_uri(entry.url)
        return entry.url

    @extend_schema_field(PublisherSerializer)
    def get_publisher(self, entry: FactCheck) -> dict:
        return {"name": entry.publisher_name, "url": entry.publisher_url}

    @extend_schema_field(RatingSerializer)
    def get_rating(self, entry: FactCheck) -> dict:
        return {
            "name": entry.rating_name,
            "value": entry.rating_value,
            "best": entry.best_rating,
            "worst": entry.worst_rating,
            "text": entry.rating_text,
        }


class FactCheckMatchSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="fact_check_id", help_text="The library entry's id.")
    state = serializers.CharField(help_text="confirmed (by a reviewer) or suggested (by the machine).")
    similarity = serializers.FloatField()
    review = LibraryEntrySerializer(source="fact_check")
    decided_at = serializers.DateTimeField(allow_null=True)


class DemandSerializer(serializers.Serializer):
    articles = serializers.IntegerField()
    partners = serializers.IntegerField()


class ClaimDetailSerializer(ClaimSummarySerializer):
    article = ArticleRefSerializer(read_only=True)
    evidence = serializers.SerializerMethodField(
        help_text="On a claim with a verdict: the evidence a reviewer confirmed. On an open claim: the "
        "candidate evidence so far (machine suggestions unless `confirmed`)."
    )
    machine_suggestions = serializers.SerializerMethodField(
        help_text="On a claim with a verdict: passages the machine suggested that no reviewer confirmed "
        "(not what the verdict rests on). Empty on open claims, whose suggestions are under `evidence`."
    )

    demand = serializers.SerializerMethodField(
        help_text="Articles that carried the claim or a confirmed duplicate of it, and the distinct partners "
        "that submitted those articles or asked about it (claims/requests/)."
    )
    fact_checks = FactCheckMatchSerializer(
        source="visible_fact_checks",
        many=True,
        read_only=True,
        help_text="Published reviews of the same claim from the fact-check library: confirmed by a "
        "reviewer first, then machine suggestions (rejected ones are left out).",
    )

    class Meta(ClaimSummarySerializer.Meta):
        fields = [
            *ClaimSummarySerializer.Meta.fields, "quantities", "reasons", "evidence_note", "evidence",
            "machine_suggestions", "fact_checks", "demand",
        ]  # fmt: skip

    @extend_schema_field(DemandSerializer)
    def get_demand(self, claim: Claim) -> dict:
        return {"articles": claim.demand_articles, "partners": claim.demand_partners}

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, claim: Claim) -> list[dict]:
        rows = claim.visible_evidence
        if claim.has_verdict:
            rows = [row for row in rows if row.is_confirmed]
        return EvidenceSerializer(rows, many=True, context=self.context).data

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_machine_suggestions(self, claim: Claim) -> list[dict]:
        if not claim.has_verdict:
            return []
        rows = [row for row in claim.visible_evidence if not row.is_confirmed]
        return EvidenceSerializer(rows, many=True, context=self.context).data


class ClaimSearchResultSerializer(ClaimSummarySerializer):
    relevance = serializers.FloatField(read_only=True)

    class Meta(ClaimSummarySerializer.Meta):
        fields = [*ClaimSummarySerializer.Meta.fields, "relevance"]


class LibrarySearchResultSerializer(LibraryEntrySerializer):
    id = serializers.IntegerField()
    similarity = serializers.FloatField()


class ClaimSearchResponseSerializer(serializers.Serializer):
    results = ClaimSearchResultSerializer(many=True)
    fact_checks = LibrarySearchResultSerializer(
        many=True,
        help_text="Published reviews from the fact-check library that match `q` (our own verdicts are "
        "under `results`), most similar first.",
    )


class SubmissionAcceptedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    created = serializers.BooleanField(help_text="False when an Idempotency-Key repeated a submission.")


class SourceSuggestedSerializer(serializers.Serializer):
    source = serializers.IntegerField(source="pk")
    url = serializers.CharField()
    status = serializers.CharField()


class DeliverySerializer(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = ["id", "event", "event_id", "status", "attempts", "response_status", "last_error",
                  "last_attempt_at", "delivered_at", "created_at"]  # fmt: skip


class WebhookSerializer(serializers.ModelSerializer):
    class Meta:
        model = Webhook
        fields = ["id", "url", "events", "own_submissions_only", "is_active", "created_at"]


class WebhookCreatedSerializer(WebhookSerializer):
    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "secret"]


class WebhookDetailSerializer(WebhookSerializer):
    deliveries = DeliverySerializer(many=True, source="recent_deliveries")

    class Meta(WebhookSerializer.Meta):
        fields = [*WebhookSerializer.Meta.fields, "deliveries"]


class ErrorDetailSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()
    details = serializers.DictField()


class ErrorSerializer(serializers.Serializer):
    error = ErrorDetailSerializer()


class ClaimRequestSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    subscribed = serializers.BooleanField(
        default=True,
        help_text="claim.verdict_set reaches this partner's webhooks when a matching claim gets a verdict.",
    )


class ClaimRequestAnswerSerializer(serializers.Serializer):
    verdicts = ClaimSearchResultSerializer(many=True, help_text="Claims with a verdict that match the text.")
    fact_checks = LibrarySearchResultSerializer(many=True, help_text="Published reviews that match the text.")
    request = ClaimRequestSerializer(
        allow_null=True, help_text="Recorded (201) when no verdict matched; null (200) when one did."
    )
