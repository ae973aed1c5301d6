"""Articles are Markdown written by agents or imported from git: what reaches a page is sanitised."""

from __future__ import annotations

import pytest
from django.test import Client

from ponton.conftest import KB
from ponton.knowledge import markdown
from ponton.knowledge.models import Status
from ponton.knowledge.services import TranslationFields, save_translation

HOSTILE_BODY = """Réinitialisez votre mot de passe.

<script>alert("xss-script")</script>

<img src="x" onerror="alert('xss-img')">

<a href="javascript:alert('xss-link')">cliquez ici</a>

[lien piégé](javascript:alert('xss-md'))

<iframe src="https://evil.example/"></iframe>

<p style="position:fixed" onclick="alert('xss-click')">Texte</p>
"""

# A refused Markdown link stays visible as harmless text, so "xss-md" may remain as text;
# what must never appear is markup that runs it.
MARKERS = [
    "<script>alert",
    "xss-script",
    "xss-img",
    "xss-link",
    "onerror",
    "onclick",
    "<iframe",
    'href="javascript:',
]


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ("[x](javascript:alert(1))", 'href="javascript:'),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', "javascript:"),
        ('<p onclick="alert(1)">x</p>', "onclick"),
        ('<p style="color:red">x</p>', "style="),
        ("<iframe src='https://evil.example'></iframe>", "<iframe"),
        ("<svg onload=alert(1)></svg>", "onload"),
        ('<form action="https://evil.example"><input name=p></form>', "<form"),
    ],
)
def test_render_removes_scripts_event_handlers_and_dangerous_urls(
    source: str, forbidden: str
) -> None:
    assert forbidden not in markdown.render(source).lower()


def test_render_keeps_the_formatting_articles_need() -> None:
    html = markdown.render(
        "## Étapes\n\n1. **Ouvrez** `Mon Espace`\n2. *Cliquez*\n\n"
        "> Astuce\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[Aide](https://aide.example/)"
    )
    for fragment in [
        "<h2>",
        "<ol>",
        "<strong>Ouvrez</strong>",
        "<code>Mon Espace</code>",
        "<em>Cliquez</em>",
        "<blockquote>",
        "<table>",
        "<td>1</td>",
    ]:
        assert fragment in html
    assert 'href="https://aide.example/"' in html
    assert "noopener" in html


def test_plain_text_and_excerpt_drop_the_markup() -> None:
    html = markdown.render("# Titre\n\nUn **texte** &amp; une suite.\n\n- un\n- deux")
    assert markdown.plain_text(html) == "Titre Un texte & une suite. un deux"
    long_html = markdown.render("mot " * 200)
    excerpt = markdown.excerpt(long_html, length=50)
    assert len(excerpt) <= 50
    assert excerpt.endswith("…")


def test_a_hostile_article_body_never_reaches_the_article_page(
    client: Client, kb: KB, agent
) -> None:
    translation = save_translation(
        article=kb.password,
        language="fr",
        fields=TranslationFields(
            title=kb.password_fr.title, body=HOSTILE_BODY, status=Status.PUBLISHED
        ),
        author=agent,
    )
    html = client.get(f"/fr/a/{translation.slug}/").content.decode()
    assert "Réinitialisez votre mot de passe." in html
    for marker in MARKERS:
        assert marker not in html, marker


def test_a_hostile_body_never_reaches_the_editor_preview(client: Client, kb: KB, agent) -> None:
    client.force_login(agent)
    live = client.post("/fr/manage/preview", {"body": HOSTILE_BODY}).json()["html"]
    page = client.post(
        "/fr/manage/articles/new",
        {
            "key": "hostile",
            "category": kb.account.pk,
            "audience": "public",
            "title": "Hostile",
            "body": HOSTILE_BODY,
            "status": "draft",
            "action": "preview",
        },
    ).context["preview"]
    for html in (live, page):
        for marker in MARKERS:
            assert marker not in html, marker


def test_a_hostile_body_never_reaches_the_search_snippet(client: Client, kb: KB, agent) -> None:
    save_translation(
        article=kb.password,
        language="fr",
        fields=TranslationFields(
            title=kb.password_fr.title, body=HOSTILE_BODY, status=Status.PUBLISHED
        ),
        author=agent,
    )
    for response in (
        client.get("/api/v1/articles", {"q": "réinitialisez mot de passe cliquez", "lang": "fr"}),
        client.get("/fr/search", {"q": "réinitialisez mot de passe cliquez"}),
    ):
        html = response.content.decode()
        for marker in ["xss-script", "xss-img", "onerror", "onclick", "<iframe"]:
            assert marker not in html, marker
