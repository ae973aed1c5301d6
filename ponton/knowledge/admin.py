from django.contrib import admin

from ponton.knowledge.models import Article, ArticleTranslation, Category, Feedback


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("slug", "name_fr", "name_en", "position")


class TranslationInline(admin.StackedInline):
    model = ArticleTranslation
    extra = 0
    fields = ("language", "title", "slug", "status")
    # Translations change through the editor, which versions and reindexes them.
    readonly_fields = fields
    can_delete = False


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("key", "category", "audience", "owner", "review_due")
    list_filter = ("category", "audience")
    search_fields = ("key", "translations__title")
    inlines = [TranslationInline]


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("translation", "helpful", "created_at")
    list_filter = ("helpful",)
