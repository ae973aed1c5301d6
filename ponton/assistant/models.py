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
