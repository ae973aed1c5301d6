from django.urls import include, path
from drf_spectacular.views import SpectacularJSONAPIView

from ponton.knowledge.api import ArticleSearchView, ArticleSuggestView

app_name = "api"

urlpatterns = [
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="openapi"),
    path("articles", ArticleSearchView.as_view(), name="articles"),
    path("articles/suggest", ArticleSuggestView.as_view(), name="articles-suggest"),
    path("", include("ponton.connectors.webchat.urls")),
]
