from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("articles/", views.article_list, name="article_list"),
    path("articles/submit/", views.article_submit, name="article_submit"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
    path("articles/<int:pk>/progress/", views.article_progress, name="article_progress"),
    path(
        "articles/<int:pk>/sentences/<int:sentence_pk>/promote/",
        views.sentence_promote,
        name="sentence_promote",
    ),
    path("claims/", views.claim_queue, name="queue"),
    path("claims/bulk/", views.claims_bulk, name="claims_bulk"),
    path("claims/export.csv", views.claim_queue_csv, name="queue_csv"),
    path("claims/<int:pk>/", views.claim_detail, name="claim_detail"),
    path("claims/<int:pk>/verdict/", views.claim_verdict, name="claim_verdict"),
    path("claims/<int:pk>/revert/", views.claim_revert, name="claim_revert"),
    path("claims/<int:pk>/dismiss/", views.claim_dismiss, name="claim_dismiss"),
    path("claims/<int:pk>/restore/", views.claim_restore, name="claim_restore"),
    path("claims/<int:pk>/assign/", views.claim_assign, name="claim_assign"),
    path("claims/<int:pk>/comments/", views.claim_comment, name="claim_comment"),
    path("claims/<int:pk>/sources/", views.claim_add_source, name="claim_add_source"),
    path("claims/<int:pk>/sources/progress/", views.claim_sources, name="claim_sources"),
    path("claims/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_decide, name="evidence_decide"),
    path("claims/<int:pk>/links/<int:link_pk>/", views.claim_link_decide, name="claim_link_decide"),
    path(
        "claims/<int:pk>/fact-checks/<int:match_pk>/", views.fact_check_match_decide, name="fact_check_decide"
    ),
    path("snapshots/<int:pk>/", views.snapshot_detail, name="snapshot_detail"),
    path("sources/<int:pk>/", views.source_detail, name="source_detail"),
]
