from django.urls import path

from . import views

app_name = "claims"

urlpatterns = [
    path("", views.article_list, name="article_list"),
    path("articles/submit/", views.article_submit, name="article_submit"),
    path("articles/<int:pk>/", views.article_detail, name="article_detail"),
]
