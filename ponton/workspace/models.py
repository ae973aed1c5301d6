"""What the agents' workspace keeps beside the conversations: tags, how far each
agent has read, and the colleagues named in internal notes."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Tag(models.Model):
    """A label agents put on conversations to find, group and count them ("litige",
    "vip", "panne-fibre"); the name is what agents typed, the slug what makes it one tag."""

    name = models.CharField(max_length=50)
    slug = models.SlugField(max_length=60, unique=True)
    conversations = models.ManyToManyField(
        "conversations.Conversation", blank=True, related_name="tags"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReadMarker(models.Model):
    """The last message an agent has seen in a conversation: anything the customer
    wrote after it shows as unread in their list."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="+"
    )
    last_message_id = models.PositiveBigIntegerField(default=0)
    read_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "conversation"], name="one_marker_per_reader")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read #{self.conversation_id} up to {self.last_message_id}"


class Mention(models.Model):
    """A colleague named in an internal note (@username): told at once, and shown in
    their workspace until they open the conversation."""

    message = models.ForeignKey(
        "conversations.Message", on_delete=models.CASCADE, related_name="mentions"
    )
    conversation = models.ForeignKey(
        "conversations.Conversation", on_delete=models.CASCADE, related_name="mentions"
    )
    mentioned = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="mentions"
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    seen_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["message", "mentioned"], name="one_mention_per_note")
        ]
        indexes = [models.Index(fields=["mentioned", "seen_at"], name="mention_unseen")]

    def __str__(self) -> str:
        return f"@{self.mentioned_id} in #{self.conversation_id}"
