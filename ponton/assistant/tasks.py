"""Background work of the assistant."""

from __future__ import annotations

from ponton.assistant import knowledge_model
from ponton.tasks.services import register


@register("assistant.retrain")
def retrain(lang: str) -> None:
    """Retrain on the published articles after an edit, so the next customer does not wait for it."""
    try:
        knowledge_model.retrain(lang)
    except LookupError:
        knowledge_model.forget()  # no article left in that language: nothing to learn
