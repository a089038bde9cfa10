"""`webhooks/`: a partner registers the URLs its events go to and reads their delivery log."""

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from partners import selectors, services
from partners.models import Webhook
from partners.serializers import (
    WebhookCreatedSerializer,
    WebhookCreateSerializer,
    WebhookDetailSerializer,
    WebhookSerializer,
)

from .base import PartnerView


class WebhookListView(PartnerView, generics.ListAPIView):
    """This partner's webhooks; POST registers one and returns its signing secret, once."""

    serializer_class = WebhookSerializer
    pagination_class = None  # a handful per partner

    def get_queryset(self) -> QuerySet[Webhook]:
        return selectors.partner_webhooks(partner=self.partner)

    @extend_schema(request=WebhookCreateSerializer, responses={201: WebhookCreatedSerializer})
    def post(self, request: Request) -> Response:
        data = WebhookCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        webhook = services.webhook_create(partner=self.partner, **data.validated_data)
        return Response(WebhookCreatedSerializer(webhook).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(PartnerView):
    @extend_schema(responses={200: WebhookDetailSerializer})
    def get(self, request: Request, pk: int) -> Response:
        """A webhook with its 20 most recent deliveries (status code, attempts, last error)."""
        webhook = get_object_or_404(selectors.partner_webhooks(partner=self.partner), pk=pk)
        webhook.recent_deliveries = selectors.webhook_recent_deliveries(webhook=webhook)
        return Response(WebhookDetailSerializer(webhook).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        webhook = get_object_or_404(selectors.partner_webhooks(partner=self.partner), pk=pk)
        services.webhook_delete(webhook=webhook)
        return Response(status=status.HTTP_204_NO_CONTENT)
