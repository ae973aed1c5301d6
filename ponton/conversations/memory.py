"""The assistant's memory of a conversation, read and written in one way everywhere."""

from __future__ import annotations

from ponton.conversations.models import AssistantMemory, Conversation


def recall(conversation: Conversation) -> AssistantMemory:
    """The memory of `conversation`: its row, or an empty one not saved yet (cached on the
    conversation, so every reader of this instance sees the same object)."""
    try:
        return conversation.memory
    except AssistantMemory.DoesNotExist:
        memory = AssistantMemory(conversation=conversation)
        conversation.memory = memory
        return memory


def remember(conversation: Conversation, **changes: object) -> AssistantMemory:
    """Change and save the memory of `conversation` (creating its row the first time)."""
    memory = recall(conversation)
    for field, value in changes.items():
        setattr(memory, field, value)
    memory.save()
    return memory
