"""The partner API, mounted at /api/v1/ by factcheck/urls.py."""

from django.urls import path, re_path

from .api import articles, claims, docs, webhooks

app_name = "partners"

urlpatterns = [
    path("articles/", articles.ArticleListView.as_view(), name="article-list"),
    path("articles/<int:pk>/", articles.ArticleDetailView.as_view(), name="article-detail"),
    path("claims/", claims.ClaimListView.as_view(), name="claim-list"),
    path("claims/search/", claims.ClaimSearchView.as_view(), name="claim-search"),
    path("claims/requests/", claims.ClaimRequestView.as_view(), name="claim-requests"),
    path("claims/<int:pk>/", claims.ClaimDetailView.as_view(), name="claim-detail"),
    path("claims/<int:pk>/claimreview/", claims.ClaimReviewView.as_view(), name="claim-review"),
    path("claims/<int:pk>/sources/", claims.ClaimSourcesView.as_view(), name="claim-sources"),
    path("webhooks/", webhooks.WebhookListView.as_view(), name="webhook-list"),
    path("webhooks/<int:pk>/", webhooks.WebhookDetailView.as_view(), name="webhook-detail"),
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(), name="docs"),
    path("redoc/", docs.RedocView.as_view(), name="redoc"),
    # Last: unknown paths ending in "/" get a JSON 404; others still get APPEND_SLASH redirects.
    re_path(r"^(?:.*/)?$", docs.NotFoundView.as_view(), name="not-found"),
]
