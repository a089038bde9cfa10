"""`articles/`: submit an article and follow it through the pipeline."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from claims.models import Article
from partners import selectors, services
from partners.serializers import (
    ArticleDetailSerializer,
    ArticleSubmissionSchema,
    ArticleSubmitSerializer,
    ArticleSummarySerializer,
    SubmissionAcceptedSerializer,
)

from .base import PartnerView
from .pagination import NewestArticlesFirst

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID) per submission: a retry with the same key and body "
    "returns the first article instead of creating another.",
)


class ArticleListView(PartnerView, generics.ListAPIView):
    """The articles this partner submitted, newest first; POST submits a new one."""

    scopes = {"GET": "read", "POST": "submit"}
    serializer_class = ArticleSummarySerializer
    pagination_class = NewestArticlesFirst

    def get_queryset(self) -> QuerySet[Article]:
        return selectors.partner_article_list(partner=self.partner)

    @extend_schema(
        request=ArticleSubmissionSchema,
        parameters=[IDEMPOTENCY_KEY],
        responses={202: SubmissionAcceptedSerializer},
        description="Submit exactly one of `url`, `html` or `text`. Needs the `submit` scope. "
        "Answers 202 with the article id; poll `articles/{id}/` until `status` is `done`.",
    )
    def post(self, request: Request) -> Response:
        data = ArticleSubmitSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        article, created = services.partner_submit_article(
            partner=self.partner,
            api_key=self.api_key,
            idempotency_key=request.headers.get("Idempotency-Key", ""),
            **data.validated_data,
        )
        body = SubmissionAcceptedSerializer({"id": article.pk, "status": article.status, "created": created})
        location = reverse("partners:article-detail", args=[article.pk])
        return Response(body.data, status=status.HTTP_202_ACCEPTED, headers={"Location": location})


class ArticleDetailView(PartnerView):
    @extend_schema(responses={200: ArticleDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """An article this partner submitted: pipeline status, progress and its claims."""
        article = get_object_or_404(selectors.partner_article_detail(partner=self.partner), pk=pk)
        return Response(ArticleDetailSerializer(article).data)
