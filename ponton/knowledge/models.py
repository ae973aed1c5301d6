from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Category(models.Model):
    """A help-center shelf; names are stored in both interface languages."""

    # The category's key and its English address; French pages use `slug_fr` when it is set.
    slug = models.SlugField(unique=True)
    slug_fr = models.SlugField(blank=True)
    icon = models.CharField(max_length=32, blank=True)
    position = models.PositiveIntegerField(default=0)
    name_fr = models.CharField(max_length=120)
    name_en = models.CharField(max_length=120)
    description_fr = models.CharField(max_length=300, blank=True)
    description_en = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["position", "slug"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(
                fields=["slug_fr"], condition=~models.Q(slug_fr=""), name="unique_french_slug"
            )
        ]

    def __str__(self) -> str:
        return self.name_fr

    def url_slug(self, lang: str) -> str:
        """Its address in `lang`: a French page speaks French up to its URL."""
        return (self.slug_fr or self.slug) if lang == "fr" else self.slug

    def name(self, lang: str) -> str:
        return self.name_en if lang == "en" else self.name_fr

    def description(self, lang: str) -> str:
        return self.description_en if lang == "en" else self.description_fr


class Audience(models.TextChoices):
    PUBLIC = "public", _("Everyone")
    SIGNED_IN = "signed_in", _("Signed-in customers")


class Article(models.Model):
    """One answer to one customer need, whatever the language.

    Targeting, ownership and review date are shared by the translations: the
    owner answers for the need, not for a language.
    """

    key = models.SlugField(unique=True, max_length=120)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="articles")
    audience = models.CharField(max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    plans = models.JSONField(default=list, blank=True)
    modules = models.JSONField(default=list, blank=True)
    segments = models.JSONField(default=list, blank=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_articles",
    )
    review_due = models.DateField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["category", "key"]

    def __str__(self) -> str:
        return self.key


class Status(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")


class ArticleTranslation(models.Model):
    """The article in one language: what customers read and search."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(max_length=2, choices=settings.LANGUAGES)
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=200)
    body = models.TextField(help_text="Markdown")
    body_html = models.TextField(editable=False, default="")
    excerpt = models.CharField(max_length=300, editable=False, default="")
    questions = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["article", "language"], name="one_translation_per_language"
            ),
            models.UniqueConstraint(fields=["language", "slug"], name="unique_slug_per_language"),
        ]

    def __str__(self) -> str:
        return f"{self.title} [{self.language}]"

    @property
    def is_published(self) -> bool:
        return self.status == Status.PUBLISHED


class SlugAlias(models.Model):
    """A former address of a translation, so links in old emails and bookmarks keep working."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="aliases"
    )
    language = models.CharField(max_length=2)
    slug = models.SlugField(max_length=200)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "slug"], name="unique_slug_alias")
        ]

    def __str__(self) -> str:
        return f"{self.language}/{self.slug}"


class ArticleVersion(models.Model):
    """A saved state of a translation, kept so every change has an author and can be undone."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="versions"
    )
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField()
    questions = models.JSONField(default=list)
    status = models.CharField(max_length=16, choices=Status.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(fields=["translation", "number"], name="unique_version_number")
        ]

    def __str__(self) -> str:
        return f"{self.translation} v{self.number}"


class Feedback(models.Model):
    """A reader's answer to "Did this answer your question?"."""

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="feedback"
    )
    helpful = models.BooleanField()
    comment = models.TextField(blank=True)
    visitor_id = models.CharField(max_length=36, blank=True)
    customer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.translation}: {'yes' if self.helpful else 'no'}"


class SearchEntry(models.Model):
    """Normalised terms of a published translation, the portable half of the search index.

    The engine half lives in the database: an FTS5 table over these columns on
    SQLite, a generated weighted tsvector with a GIN index on PostgreSQL.
    """

    translation = models.OneToOneField(
        ArticleTranslation, on_delete=models.CASCADE, related_name="search_entry"
    )
    language = models.CharField(max_length=2, db_index=True)
    title_terms = models.TextField()
    question_terms = models.TextField()
    body_terms = models.TextField()
    words = models.TextField(help_text="Distinct folded words, to keep SearchWord counts exact.")

    def __str__(self) -> str:
        return str(self.translation_id)


class SearchWord(models.Model):
    """A folded surface word of the published articles, for typo correction."""

    language = models.CharField(max_length=2)
    word = models.CharField(max_length=64)
    documents = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["language", "word"], name="unique_search_word")
        ]

    def __str__(self) -> str:
        return self.word


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Waiting for review")
    ACCEPTED = "accepted", _("Accepted")
    REJECTED = "rejected", _("Rejected")


class ArticleProposal(models.Model):
    """An edit an agent suggests to an article; its owner accepts or rejects it.

    Agents see what customers actually ask: their edits keep articles true,
    while the owner stays answerable for what is published.
    """

    translation = models.ForeignKey(
        ArticleTranslation, on_delete=models.CASCADE, related_name="proposals"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown")
    questions = models.JSONField(default=list, blank=True)
    note = models.TextField(blank=True, help_text="Why the change")
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The version the proposal was written against, to warn when the article moved on.
    base_version = models.PositiveIntegerField(default=0)
    status = models.CharField(
        max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PENDING
    )
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_note = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="proposal_status")]

    def __str__(self) -> str:
        return f"{self.translation} ({self.status})"
