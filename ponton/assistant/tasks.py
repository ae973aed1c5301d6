"""Background work of the assistant."""

from __future__ import annotations

from ponton.assistant import knowledge_model, passages
from ponton.assistant.encoders import configured_encoder
from ponton.knowledge.models import ArticleTranslation
from ponton.tasks.services import register


@register("assistant.retrain")
def retrain(lang: str) -> None:
    """Retrain on the published articles after an edit, so the next customer does not wait for it."""
    try:
        knowledge_model.retrain(lang)
    except LookupError:
        knowledge_model.forget()  # no article left in that language: nothing to learn


@register("assistant.embed_passages")
def embed_passages(translation_id: int) -> None:
    """Embed the passages of a translation just published or edited (or drop them when it
    is no longer published), so search understands it without waiting."""
    translation = ArticleTranslation.objects.filter(pk=translation_id).first()
    encoder = configured_encoder()
    if translation is not None and encoder is not None:
        passages.embed_translation(translation, encoder)


@register("assistant.embed_all_passages")
def embed_all_passages(lang: str) -> None:
    """Embed every published translation in `lang` whose passages are missing or out of
    date (after an import, or with a new encoder): `ponton kb-reindex` asks for it."""
    passages.embed_language(lang)
