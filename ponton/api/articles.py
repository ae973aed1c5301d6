"""Articles for staff tools and imports: read, create, update, publish. Staff only; writing
takes a token with the `write` scope (ponton/api/auth.py). Every change goes through the
knowledge services, so it is versioned, reindexed and taught to the assistant."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ponton.conversations.api import IsAgent
from ponton.inputs import StrictSerializer, text_field
from ponton.knowledge import services
from ponton.knowledge.models import Article, ArticleTranslation, Audience, Category, Status
from ponton.knowledge.selectors import article_url

LANGS = list(services.LANGUAGES)


class TranslationInSerializer(StrictSerializer):
    title = text_field(max_length=200)
    body = text_field(max_length=100_000, help_text="Markdown.")
    questions = serializers.ListField(
        child=serializers.CharField(max_length=300), required=False, max_length=100
    )
    status = serializers.ChoiceField(choices=Status.values, required=False)


class TranslationUpdateSerializer(TranslationInSerializer):
    title = text_field(max_length=200, required=False)
    body = text_field(max_length=100_000, required=False)


class ArticleUpdateSerializer(StrictSerializer):
    key = serializers.SlugField(max_length=120, required=False)
    category = serializers.SlugField(max_length=50, required=False, help_text="A category slug.")
    audience = serializers.ChoiceField(choices=Audience.values, required=False)
    plans = serializers.ListField(child=serializers.SlugField(max_length=50), required=False)
    modules = serializers.ListField(child=serializers.SlugField(max_length=50), required=False)
    segments = serializers.ListField(child=serializers.SlugField(max_length=50), required=False)
    review_due = serializers.DateField(required=False, allow_null=True)
    translations = serializers.DictField(
        child=TranslationUpdateSerializer(),
        required=False,
        help_text="By language (`fr`, `en`): the fields to change.",
    )


class ArticleCreateSerializer(ArticleUpdateSerializer):
    key = serializers.SlugField(max_length=120)
    category = serializers.SlugField(max_length=50, help_text="A category slug.")
    translations = serializers.DictField(
        child=TranslationInSerializer(),
        allow_empty=False,
        help_text="By language (`fr`, `en`); a new translation is a draft unless `status` says.",
    )


class PublishSerializer(StrictSerializer):
    lang = serializers.ChoiceField(choices=LANGS)
    published = serializers.BooleanField(default=True, help_text="false: unpublish.")


class TranslationSerializer(serializers.Serializer):
    language = serializers.CharField()
    title = serializers.CharField()
    slug = serializers.CharField()
    body = serializers.CharField()
    questions = serializers.ListField(child=serializers.CharField())
    status = serializers.CharField()
    published_at = serializers.DateTimeField(allow_null=True)
    url = serializers.CharField()


class ArticleSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    key = serializers.CharField()
    category = serializers.CharField()
    audience = serializers.CharField()
    plans = serializers.ListField(child=serializers.CharField())
    modules = serializers.ListField(child=serializers.CharField())
    segments = serializers.ListField(child=serializers.CharField())
    review_due = serializers.DateField(allow_null=True)
    translations = TranslationSerializer(many=True)


def article_json(article: Article) -> dict[str, Any]:
    article = Article.objects.select_related("category").get(pk=article.pk)
    return {
        "id": article.pk,
        "key": article.key,
        "category": article.category.slug,
        "audience": article.audience,
        "plans": list(article.plans),
        "modules": list(article.modules),
        "segments": list(article.segments),
        "review_due": article.review_due.isoformat() if article.review_due else None,
        "translations": [
            {
                "language": t.language,
                "title": t.title,
                "slug": t.slug,
                "body": t.body,
                "questions": list(t.questions),
                "status": t.status,
                "published_at": t.published_at.isoformat() if t.published_at else None,
                "url": article_url(t),
            }
            for t in article.translations.order_by("language")
        ],
    }


def _check_langs(translations: dict[str, Any]) -> None:
    wrong = sorted(set(translations) - set(LANGS))
    if wrong:
        raise ValidationError(
            {"translations": [f"Languages are fr and en, not {', '.join(wrong)}."]}
        )


def _category(slug: str) -> Category:
    category = Category.objects.filter(slug=slug).first()
    if category is None:
        raise ValidationError({"category": ["No category has this slug."]})
    return category


def _fields(article: Article | None, data: dict[str, Any], owner: Any) -> services.ArticleFields:
    def pick(name: str, default: Any) -> Any:
        return data.get(name, default)

    return services.ArticleFields(
        category=_category(data["category"]) if "category" in data else article.category,  # type: ignore[union-attr]
        audience=pick("audience", article.audience if article else Audience.PUBLIC),
        plans=pick("plans", list(article.plans) if article else []),
        modules=pick("modules", list(article.modules) if article else []),
        segments=pick("segments", list(article.segments) if article else []),
        owner=article.owner if article else owner,
        review_due=pick("review_due", article.review_due if article else None),
    )


def _save_translations(article: Article, translations: dict[str, Any], author: Any) -> None:
    for lang, changes in translations.items():
        current = ArticleTranslation.objects.filter(article=article, language=lang).first()
        if current is None and not ("title" in changes and "body" in changes):
            raise ValidationError(
                {"translations": [f"A new translation ({lang}) needs a title and a body."]}
            )
        services.save_translation(
            article=article,
            language=lang,
            fields=services.TranslationFields(
                title=changes.get("title", current.title if current else ""),
                body=changes.get("body", current.body if current else ""),
                questions=changes.get("questions", list(current.questions) if current else []),
                status=changes.get("status", current.status if current else Status.DRAFT),
            ),
            author=author,
        )


ARTICLE_ID = OpenApiParameter("article_id", OpenApiTypes.INT, OpenApiParameter.PATH)


class ArticlesView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="kb_articles_create",
        request=ArticleCreateSerializer,
        responses={201: ArticleSerializer},
        examples=[
            OpenApiExample(
                "A new answer",
                value={
                    "key": "reset-box",
                    "category": "box-wifi",
                    "translations": {
                        "fr": {"title": "Redémarrer sa box", "body": "Débranchez-la 10 secondes."}
                    },
                },
                request_only=True,
            )
        ],
    )
    def post(self, request: Request) -> Response:
        """Create an article with one or two translations (drafts unless `status` says)."""
        body = ArticleCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        _check_langs(data["translations"])
        with transaction.atomic():
            article = services.save_article(
                key=data["key"], fields=_fields(None, data, request.user)
            )
            _save_translations(article, data["translations"], request.user)
        return Response(article_json(article), status=status.HTTP_201_CREATED)


class ArticleView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="kb_articles_read", parameters=[ARTICLE_ID], responses={200: ArticleSerializer}
    )
    def get(self, request: Request, article_id: int) -> Response:
        """An article with all its translations, drafts included."""
        return Response(article_json(get_object_or_404(Article, pk=article_id)))

    @extend_schema(
        operation_id="kb_articles_update",
        parameters=[ARTICLE_ID],
        request=ArticleUpdateSerializer,
        responses={200: ArticleSerializer},
    )
    def patch(self, request: Request, article_id: int) -> Response:
        """Change the fields given (each translation changed becomes a new version)."""
        article = get_object_or_404(Article, pk=article_id)
        body = ArticleUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        translations = data.get("translations", {})
        _check_langs(translations)
        with transaction.atomic():
            services.save_article(
                key=data.get("key", article.key),
                article=article,
                fields=_fields(article, data, request.user),
            )
            _save_translations(article, translations, request.user)
        return Response(article_json(article))


class PublishView(APIView):
    permission_classes = [IsAgent]

    @extend_schema(
        operation_id="kb_articles_publish",
        parameters=[ARTICLE_ID],
        request=PublishSerializer,
        responses={200: ArticleSerializer},
    )
    def post(self, request: Request, article_id: int) -> Response:
        """Publish (or, `published: false`, unpublish) one language of an article."""
        article = get_object_or_404(Article, pk=article_id)
        body = PublishSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        translation = ArticleTranslation.objects.filter(
            article=article, language=data["lang"]
        ).first()
        if translation is None:
            raise ValidationError({"lang": ["This article has no translation in this language."]})
        services.set_status(
            translation,
            Status.PUBLISHED if data["published"] else Status.DRAFT,
            author=request.user,
        )
        return Response(article_json(article))
