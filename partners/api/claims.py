"""`claims/`: list, read, search and look up ClaimReview for the claims a partner may see."""

import hashlib
import json

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.http import parse_etags
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from claims.models import Claim
from claims.selectors.fact_checks import library_search
from partners import selectors, services
from partners.claim_requests import claim_request_make
from partners.claimreview import claim_review
from partners.serializers import (
    ClaimDetailSerializer,
    ClaimFilterSerializer,
    ClaimRequestAnswerSerializer,
    ClaimRequestCreateSerializer,
    ClaimSearchResponseSerializer,
    ClaimSearchSerializer,
    ClaimSummarySerializer,
    SourceSuggestedSerializer,
    SourceSuggestionSerializer,
)

from .base import PartnerView
from .pagination import RecentlyUpdatedClaimsFirst

IF_NONE_MATCH = OpenApiParameter(
    "If-None-Match", str, OpenApiParameter.HEADER, required=False, description="An ETag from an earlier read."
)


class JSONLDRenderer(JSONRenderer):
    media_type = "application/ld+json"
    format = "jsonld"


class ClaimListView(PartnerView, generics.ListAPIView):
    """Claims this partner may see (its own articles' claims and every verdict), recently updated first."""

    serializer_class = ClaimSummarySerializer
    pagination_class = RecentlyUpdatedClaimsFirst
    query_serializer_class = ClaimFilterSerializer

    def get_queryset(self) -> QuerySet[Claim]:
        # A plain dict, not the QueryDict: DRF reads "?verdict=" from a QueryDict as "not given".
        params = ClaimFilterSerializer(data=self.request.query_params.dict())
        params.is_valid(raise_exception=True)
        values = params.validated_data
        filters = selectors.ClaimFilters(
            status=values.get("status"),
            verdict=values.get("verdict"),
            updated_since=values.get("updated_since"),
            article_id=values.get("article"),
            q=values.get("q"),
            needs_recheck=values.get("needs_recheck"),
        )
        return selectors.claim_list(partner=self.partner, filters=filters)

    @extend_schema(parameters=[ClaimFilterSerializer])
    def get(self, request: Request) -> Response:
        return super().get(request)


class ClaimDetailView(PartnerView):
    @extend_schema(
        parameters=[IF_NONE_MATCH],
        responses={200: ClaimDetailSerializer, 304: OpenApiResponse(description="Not modified.")},
    )
    def get(self, request: Request, pk: int) -> Response:
        """A claim with its verdict, rationale and evidence. Send `If-None-Match` to poll cheaply."""
        claim = get_object_or_404(selectors.claim_detail(partner=self.partner), pk=pk)
        data = ClaimDetailSerializer(claim, context={"request": request}).data
        # Hash of what we would send: evidence decisions change it without touching the claim row.
        encoded = json.dumps(data, cls=DjangoJSONEncoder, sort_keys=True).encode("utf-8")
        etag = '"' + hashlib.sha256(encoded).hexdigest()[:40] + '"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache", "Vary": "Authorization"}
        presented = parse_etags(request.headers.get("If-None-Match", ""))
        if etag in presented or "*" in presented:
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(data, headers=headers)


class ClaimReviewView(PartnerView):
    renderer_classes = [JSONLDRenderer, JSONRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # Errors keep the API's plain JSON error body and type, whatever the client accepted.
        response = super().handle_exception(exc)
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return response

    @extend_schema(responses={200: OpenApiResponse(OpenApiTypes.OBJECT, description="ClaimReview JSON-LD")})
    def get(self, request: Request, pk: int) -> Response:
        """schema.org ClaimReview JSON-LD for a claim with a verdict (404 while it has none)."""
        claims = selectors.visible_claims(partner=self.partner).select_related("article")
        claim = get_object_or_404(claims.defer(*selectors.ARTICLE_HEAVY_FIELDS), pk=pk)
        if claim.status not in selectors.VERDICTS:
            raise NotFound("This claim has no verdict yet, so there is no ClaimReview.", code="no_verdict")
        review_url = request.build_absolute_uri(reverse("partners:claim-detail", args=[claim.pk]))
        return Response(
            claim_review(claim=claim, review_url=review_url, organization_url=request.build_absolute_uri("/"))
        )


class ClaimSearchView(PartnerView):
    query_serializer_class = ClaimSearchSerializer

    @extend_schema(parameters=[ClaimSearchSerializer], responses={200: ClaimSearchResponseSerializer})
    def get(self, request: Request) -> Response:
        """Claims that already have a verdict and read like `q`, most similar first, and published
        reviews from the fact-check library that match it (up to 5): a fact-check lookup."""
        params = ClaimSearchSerializer(data=request.query_params.dict())
        params.is_valid(raise_exception=True)
        q, limit = params.validated_data["q"], params.validated_data["limit"]
        results = selectors.claim_search(partner=self.partner, q=q, limit=limit)
        library = []
        for entry, similarity in library_search(q, limit=limit):
            entry.similarity = round(similarity, 4)
            library.append(entry)
        body = ClaimSearchResponseSerializer(
            {"results": results, "fact_checks": library}, context={"request": request}
        )
        return Response(body.data)


class ClaimSourcesView(PartnerView):
    scopes = {"POST": "submit"}

    @extend_schema(request=SourceSuggestionSerializer, responses={202: SourceSuggestedSerializer})
    def post(self, request: Request, pk: int) -> Response:
        """Suggest a page that bears on the claim: it is fetched, and its passages matched to the claim."""
        claim = get_object_or_404(selectors.visible_claims(partner=self.partner), pk=pk)
        data = SourceSuggestionSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        url = data.validated_data["url"]
        source = services.partner_suggest_source(partner=self.partner, claim=claim, url=url)
        return Response(SourceSuggestedSerializer(source).data, status=status.HTTP_202_ACCEPTED)


class ClaimRequestView(PartnerView):
    @extend_schema(
        request=ClaimRequestCreateSerializer,
        responses={200: ClaimRequestAnswerSerializer, 201: ClaimRequestAnswerSerializer},
    )
    def post(self, request: Request) -> Response:
        """Ask about a claim you have not submitted: matching verdicts and published fact-checks at once.
        Without a matching verdict the request is recorded and you are subscribed: `claim.verdict_set`
        reaches your webhooks when a claim that says the same thing gets a verdict."""
        data = ClaimRequestCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        answer = claim_request_make(partner=self.partner, text=data.validated_data["text"])
        library = []
        for entry, similarity in answer.fact_checks:
            entry.similarity = round(similarity, 4)
            library.append(entry)
        body = ClaimRequestAnswerSerializer(
            {"verdicts": answer.verdicts, "fact_checks": library, "request": answer.request},
            context={"request": request},
        )
        code = status.HTTP_201_CREATED if answer.request is not None else status.HTTP_200_OK
        return Response(body.data, status=code)
