"""Background work of the assistant."""

from __future__ import annotations

from ponton.assistant import knowledge_model, passages
from ponton.tasks.services import register


@register("assistant.retrain")
def retrain(lang: str) -> None:
    """Retrain on the published articles after an edit, so the next customer does not wait for it."""
    try:
        knowledge_model.retrain(lang)
    except LookupError:
        knowledge_model.forget()  # no article left in that language: nothing to learn


@register("assistant.embed_passages")
def embed_passages(lang: str) -> None:
    """Embed the passages of the articles published or edited in `lang` (and drop
    those no longer published), so search understands them without waiting."""
    passages.embed_language(lang)
