"""How a message looks in the API, to the widget and to agents alike."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ponton.conversations.models import Author, Message


class ChoiceSerializer(serializers.Serializer):
    id = serializers.CharField()
    label = serializers.CharField()  # type: ignore[assignment]  # the API's name; shadows Field.label


class ArticleCardSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    url = serializers.CharField()
    snippet = serializers.CharField()


class MessageSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    author = serializers.ChoiceField(choices=Author.choices)
    text = serializers.CharField()
    created_at = serializers.DateTimeField()
    articles = ArticleCardSerializer(many=True, required=False)
    actions = ChoiceSerializer(many=True, required=False)


def message_json(message: Message) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": message.pk,
        "author": message.author,
        "text": message.text,
        "created_at": message.created_at.isoformat(),
    }
    if message.articles:
        data["articles"] = message.articles
    if message.actions:
        data["actions"] = message.actions
    if message.internal:
        data["internal"] = True
    return data
