"""Public search API of the help center."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.clientip import ClientAddressThrottle
from ponton.knowledge import search
from ponton.knowledge.search import Hit, Viewer
from ponton.knowledge.selectors import article_url


class SearchQuery(serializers.Serializer):
    q = serializers.CharField(max_length=200, allow_blank=True, trim_whitespace=True)
    lang = serializers.ChoiceField(choices=["fr", "en"], default="fr")
    limit = serializers.IntegerField(min_value=1, max_value=50, default=10)


class ArticleSearchQuery(SearchQuery):
    offset = serializers.IntegerField(
        min_value=0, max_value=49, default=0, help_text="Skip this many results (the next page)."
    )


class ArticleHitSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField(help_text="HTML; query words in <mark>.")
    score = serializers.FloatField()
    category = serializers.CharField()
    lang = serializers.CharField()


class ArticleResultsSerializer(serializers.Serializer):
    results = ArticleHitSerializer(many=True)
    total = serializers.IntegerField(help_text="Articles that answer, counted up to 50.")
    total_is_partial = serializers.BooleanField(help_text="More articles answer than `total`.")


class SuggestionSerializer(serializers.Serializer):
    title = serializers.CharField()
    url = serializers.CharField()


class SuggestionResultsSerializer(serializers.Serializer):
    results = SuggestionSerializer(many=True)


def _hit_json(hit: Hit) -> dict[str, object]:
    t = hit.translation
    return {
        "id": t.article_id,
        "title": t.title,
        "url": article_url(t),
        "snippet": hit.snippet,
        "score": hit.score,
        "category": t.article.category.name(t.language),
        "lang": t.language,
    }


class ArticleSearchView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = [ClientAddressThrottle]

    @extend_schema(
        operation_id="articles_search",
        parameters=[ArticleSearchQuery],
        responses=ArticleResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        """Search published articles: stemmed, accent-insensitive, typo-tolerant, and by
        meaning (the assistant's understanding fused with the full-text ranking)."""
        params = ArticleSearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        found = search.find(
            params.validated_data["q"],
            lang=params.validated_data["lang"],
            viewer=Viewer.for_user(request.user),
            limit=params.validated_data["limit"],
            offset=params.validated_data["offset"],
            count_up_to=search.MAX_RESULTS,
        )
        return Response(
            {
                "results": [_hit_json(h) for h in found.hits],
                "total": found.total,
                "total_is_partial": found.total_is_partial,
            }
        )


class ArticleSuggestView(APIView):
    permission_classes = [AllowAny]
    throttle_classes = []

    @extend_schema(
        operation_id="articles_suggest",
        parameters=[SearchQuery],
        responses=SuggestionResultsSerializer,
    )
    def get(self, request: Request) -> Response:
        """Titles that match what the customer is typing (the last word may be unfinished)."""
        params = SearchQuery(data=request.query_params)
        params.is_valid(raise_exception=True)
        hits = search.search(
            params.validated_data["q"],
            lang=params.validated_data["lang"],
            viewer=Viewer.for_user(request.user),
            limit=min(params.validated_data["limit"], 8),
            as_you_type=True,
            snippets=False,
        )
        return Response(
            {
                "results": [
                    {"title": h.translation.title, "url": article_url(h.translation)} for h in hits
                ]
            }
        )
