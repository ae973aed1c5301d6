"""How the assistant words an answer.

By default the answer is extractive: the article's own opening paragraph, which
its owner wrote to answer the need in a sentence or two. When an
OpenAI-compatible endpoint is configured, a language model may phrase the
answer from the retrieved article only, citing it; any failure or timeout falls
back to the extractive answer, so the customer never waits on a third party.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx
from django.conf import settings

from ponton.conversations.models import Conversation
from ponton.knowledge.markdown import plain_text
from ponton.knowledge.models import ArticleTranslation

logger = logging.getLogger(__name__)

_FIRST_PARAGRAPH = re.compile(r"<p>(.*?)</p>", re.S)
MAX_ANSWER_CHARS = 420


def extractive(translation: ArticleTranslation) -> str:
    """The article's first paragraph, cut at a sentence boundary if long."""
    match = _FIRST_PARAGRAPH.search(translation.body_html)
    answer = plain_text(match.group(1)) if match else translation.excerpt
    if len(answer) > MAX_ANSWER_CHARS:
        cut = answer[:MAX_ANSWER_CHARS]
        answer = cut[: cut.rfind(". ") + 1] if ". " in cut else cut.rsplit(" ", 1)[0] + "…"
    return answer


def _llm_configured() -> bool:
    return bool(settings.PONTON_LLM_URL and settings.PONTON_LLM_MODEL)


def _chat_completion(messages: list[dict[str, str]]) -> str:
    response = httpx.post(
        settings.PONTON_LLM_URL.rstrip("/") + "/chat/completions",
        headers={"Authorization": f"Bearer {settings.PONTON_LLM_KEY}"}
        if settings.PONTON_LLM_KEY
        else {},
        json={"model": settings.PONTON_LLM_MODEL, "messages": messages, "temperature": 0.2},
        timeout=settings.PONTON_LLM_TIMEOUT,
    )
    response.raise_for_status()
    content = response.json()["choices"][0]["message"]["content"]
    if not isinstance(content, str) or not content.strip():
        raise ValueError("empty completion")
    return content.strip()


def answer(conversation: Conversation, translation: ArticleTranslation) -> str:
    fallback = extractive(translation)
    if not _llm_configured():
        return fallback
    question = (
        conversation.messages.filter(author="customer")
        .order_by("-id")
        .values_list("text", flat=True)
        .first()
        or ""
    )
    language = "French" if translation.language == "fr" else "English"
    try:
        phrased = _chat_completion(
            [
                {
                    "role": "system",
                    "content": (
                        f"You are a customer-care assistant. Answer in {language}, in at most three "
                        "sentences, using ONLY the article below. If the article does not answer the "
                        "question, reply exactly NO_ANSWER. End with the article title in square "
                        f"brackets as the citation.\n\nArticle: {translation.title}\n\n{plain_text(translation.body_html)}"
                    ),
                },
                {"role": "user", "content": question},
            ]
        )
    except (httpx.HTTPError, KeyError, IndexError, ValueError, TypeError) as exc:
        logger.warning("LLM phrasing failed, using the article's own words: %s", exc)
        return fallback
    if "NO_ANSWER" in phrased or translation.title not in phrased:
        return fallback  # uncited or declined: keep to the article's words
    return phrased


def summarise_for_agent(packet: dict[str, Any]) -> str:
    """A two-line summary of a context packet for the agent; empty when no model is configured."""
    if not _llm_configured():
        return ""
    transcript = "\n".join(f"{m['author']}: {m['text']}" for m in packet.get("transcript", []))
    try:
        return _chat_completion(
            [
                {
                    "role": "system",
                    "content": "Summarise for a support agent, in two short lines: the customer's need "
                    "and what was already tried. Use only the conversation given.",
                },
                {"role": "user", "content": transcript[:6000]},
            ]
        )
    except (httpx.HTTPError, KeyError, IndexError, ValueError, TypeError) as exc:
        logger.warning("LLM summary failed: %s", exc)
        return ""
