"""What the assistant keeps in the database."""

from __future__ import annotations

from django.db import models


class Embedding(models.Model):
    """A sentence encoder's embedding of one text of the knowledge base (an article's title
    or example question), kept so that a new process, or the next rebuild of the model
    after an edit, does not compute it again (see `ponton.assistant.embeddings`)."""

    encoder = models.CharField(max_length=100)
    digest = models.CharField(max_length=64)  # SHA-256 of the text, hexadecimal
    vector = models.BinaryField()  # float16, little-endian
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["encoder", "digest"], name="embedding_once_per_text")
        ]

    def __str__(self) -> str:
        return f"{self.encoder} {self.digest[:12]}"


class PassageKind(models.TextChoices):
    SUMMARY = "summary"  # the mean of the others: what the search index keeps in memory
    TITLE = "title"
    QUESTION = "question"
    BODY = "body"


class Passage(models.Model):
    """A sentence encoder's embedding of one passage of a published translation (its title,
    an example question, a paragraph of its body), so that search compares a question
    with what each article says without encoding the articles again
    (see `ponton.assistant.passages`)."""

    translation = models.ForeignKey(
        "knowledge.ArticleTranslation", on_delete=models.CASCADE, related_name="+"
    )
    article = models.ForeignKey("knowledge.Article", on_delete=models.CASCADE, related_name="+")
    language = models.CharField(max_length=2)
    encoder = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=PassageKind.choices)
    position = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64)  # SHA-256 of the passage's text
    vector = models.BinaryField()  # float16, little-endian

    class Meta:
        indexes = [
            models.Index(fields=["encoder", "language", "kind"], name="passage_by_kind"),
            models.Index(fields=["encoder", "article"], name="passage_by_article"),
        ]

    def __str__(self) -> str:
        return f"{self.translation_id} {self.kind} {self.position}"
