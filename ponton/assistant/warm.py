"""The assistant's models, trained as an app process starts (`ponton serve` asks for it,
see ponton/asgi.py), so that its first customers do not wait for them."""

from __future__ import annotations

import logging
import threading

from django.conf import settings
from django.db import connection

from ponton.assistant import knowledge_model, needs

logger = logging.getLogger(__name__)


def _train() -> None:
    try:
        for lang, _ in settings.LANGUAGES:
            needs.model(lang)
            knowledge_model.current_model(lang)
    except Exception:  # the first message will try again, and say why if it fails
        logger.exception("The assistant's models could not be trained at start.")
    finally:
        connection.close()


def warm_up_in_background() -> threading.Thread:
    """Train each language's models in a thread of their own."""
    thread = threading.Thread(target=_train, name="assistant-warm-up", daemon=True)
    thread.start()
    return thread
