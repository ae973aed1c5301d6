"""Import and export of the knowledge base as a folder of Markdown files with front matter."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import frontmatter
import pytest
import yaml
from django.core.management import CommandError, call_command

from ponton.conftest import KB
from ponton.demo.loader import KB_FOLDER
from ponton.knowledge import search
from ponton.knowledge.models import Article, ArticleTranslation, ArticleVersion, Category, Status
from ponton.knowledge.portability import FolderImportError, export_folder, import_folder
from ponton.knowledge.search import Viewer
from ponton.knowledge.services import ArticleFields, save_article


def snapshot() -> dict[tuple[str, str], tuple[object, ...]]:
    """Everything an export must carry, per (article key, language)."""
    return {
        (t.article.key, t.language): (
            t.title,
            t.body,
            tuple(t.questions),
            t.status,
            t.article.category.slug,
            t.article.audience,
            tuple(t.article.plans),
            tuple(t.article.modules),
            tuple(t.article.segments),
            t.article.owner.username if t.article.owner else None,
            t.article.review_due,
        )
        for t in ArticleTranslation.objects.select_related("article__category", "article__owner")
    }


def write(path: Path, metadata: dict[str, object], body: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(frontmatter.dumps(frontmatter.Post(body, **metadata)) + "\n", encoding="utf-8")


def test_export_writes_one_file_per_translation_with_front_matter(kb: KB, tmp_path: Path) -> None:
    save_article(
        key=kb.invoice.key,
        article=kb.invoice,
        fields=ArticleFields(
            category=kb.billing, owner=kb.invoice.owner, review_due=dt.date(2030, 6, 1)
        ),
    )
    assert export_folder(tmp_path) == ArticleTranslation.objects.count() == 10
    categories = yaml.safe_load((tmp_path / "categories.yml").read_text(encoding="utf-8"))
    assert [c["slug"] for c in categories] == [
        "account-access",
        "billing-payment",
        "box-wifi",
        "business-suite",
        "outages",
    ]
    assert categories[0]["name"] == {"fr": "Compte et accès", "en": "Account and access"}

    post = frontmatter.load(tmp_path / "account-access" / "forgotten-password.fr.md")
    assert post["key"] == "forgotten-password"
    assert post["lang"] == "fr"
    assert post["title"] == "Mot de passe oublié : le réinitialiser"
    assert post["category"] == "account-access"
    assert post["status"] == "published"
    assert post["owner"] == "karim"
    assert post["questions"] == [
        "J'ai oublié mon mot de passe",
        "mdp oublié",
        "réinitialiser mon mot de passe",
    ]
    assert post.content.strip() == kb.password_fr.body.strip()

    invoice = frontmatter.load(tmp_path / "billing-payment" / "download-invoice.en.md")
    assert str(invoice["review_due"]) == "2030-06-01"
    business = frontmatter.load(tmp_path / "business-suite" / "sso-setup.fr.md")
    assert business["segments"] == ["business"]
    draft = frontmatter.load(tmp_path / "billing-payment" / "referral-programme.fr.md")
    assert draft["status"] == "draft"


def test_an_exported_folder_imports_back_to_the_same_knowledge_base(kb: KB, tmp_path: Path) -> None:
    save_article(
        key=kb.invoice.key,
        article=kb.invoice,
        fields=ArticleFields(
            category=kb.billing, owner=kb.invoice.owner, review_due=dt.date(2030, 6, 1)
        ),
    )
    before = snapshot()
    export_folder(tmp_path)
    Article.objects.all().delete()
    Category.objects.all().delete()
    assert not search.search("mot de passe", lang="fr", viewer=Viewer())

    report = import_folder(tmp_path)
    assert report.ok, report.errors
    assert (report.categories, report.created, report.updated, report.unchanged) == (5, 10, 0, 0)
    assert snapshot() == before
    assert search.search("mot de pase oublie", lang="fr", viewer=Viewer())[
        0
    ].translation.article.key == ("forgotten-password")
    assert not search.search("parrainage", lang="fr", viewer=Viewer())  # the draft stays a draft


def test_importing_the_same_folder_again_creates_no_new_version(kb: KB, tmp_path: Path) -> None:
    export_folder(tmp_path)
    versions = ArticleVersion.objects.count()
    before = snapshot()

    report = import_folder(tmp_path)
    assert report.ok, report.errors
    assert (report.created, report.updated, report.unchanged) == (0, 0, 10)
    assert ArticleVersion.objects.count() == versions
    assert snapshot() == before


def test_importing_a_changed_file_makes_one_new_version_by_the_importer(
    kb: KB, tmp_path: Path, supervisor
) -> None:
    export_folder(tmp_path)
    path = tmp_path / "billing-payment" / "download-invoice.fr.md"
    post = frontmatter.load(path)
    post.content = "Vos factures sont aussi dans l'application mobile."
    path.write_text(frontmatter.dumps(post) + "\n", encoding="utf-8")

    report = import_folder(tmp_path, author=supervisor)
    assert (report.created, report.updated, report.unchanged) == (0, 1, 9)
    kb.invoice_fr.refresh_from_db()
    assert kb.invoice_fr.body == "Vos factures sont aussi dans l'application mobile.\n"
    latest = kb.invoice_fr.versions.first()
    assert (latest.number, latest.author) == (2, supervisor)
    assert (
        search.search("application mobile", lang="fr", viewer=Viewer())[0].translation
        == kb.invoice_fr
    )


def test_a_file_without_a_key_is_reported_and_nothing_is_written(kb: KB, tmp_path: Path) -> None:
    export_folder(tmp_path)
    write(
        tmp_path / "box-wifi" / "restart-box.fr.md",
        {"key": "restart-box", "lang": "fr", "title": "Redémarrer la box", "category": "box-wifi"},
        "Débranchez la box.",
    )
    write(
        tmp_path / "box-wifi" / "no-key.fr.md",
        {"lang": "fr", "title": "Sans clé", "category": "box-wifi"},
        "Pas de clé.",
    )
    changed = tmp_path / "billing-payment" / "download-invoice.fr.md"
    post = frontmatter.load(changed)
    post.content = "Un changement qui ne doit pas passer."
    changed.write_text(frontmatter.dumps(post), encoding="utf-8")
    versions, before = ArticleVersion.objects.count(), snapshot()

    report = import_folder(tmp_path)
    assert not report.ok
    assert len(report.errors) == 1
    assert "no-key.fr.md" in report.errors[0] and "key" in report.errors[0]
    assert not Article.objects.filter(key="restart-box").exists()
    assert ArticleVersion.objects.count() == versions
    assert snapshot() == before


def test_a_file_with_an_unknown_category_is_reported_and_nothing_is_written(
    kb: KB, tmp_path: Path
) -> None:
    write(
        tmp_path / "box-wifi" / "restart-box.fr.md",
        {"key": "restart-box", "lang": "fr", "title": "Redémarrer la box", "category": "box-wifi"},
        "Débranchez la box.",
    )
    write(
        tmp_path / "nowhere" / "lost.fr.md",
        {"key": "lost", "lang": "fr", "title": "Perdu", "category": "nowhere"},
        "Catégorie inconnue.",
    )
    versions = ArticleVersion.objects.count()

    report = import_folder(tmp_path)
    assert not report.ok
    assert len(report.errors) == 1
    assert "lost.fr.md" in report.errors[0] and "nowhere" in report.errors[0]
    assert not Article.objects.filter(key__in=["restart-box", "lost"]).exists()
    assert ArticleVersion.objects.count() == versions


@pytest.mark.parametrize(
    ("metadata", "message"),
    [
        ({"key": "x", "lang": "de", "title": "X", "category": "box-wifi"}, "lang"),
        ({"key": "x", "lang": "fr", "title": "", "category": "box-wifi"}, "title"),
        (
            {
                "key": "x",
                "lang": "fr",
                "title": "X",
                "category": "box-wifi",
                "questions": "not a list",
            },
            "questions",
        ),
        (
            {"key": "x", "lang": "fr", "title": "X", "category": "box-wifi", "audience": "vip"},
            "audience",
        ),
        (
            {
                "key": "x",
                "lang": "fr",
                "title": "X",
                "category": "box-wifi",
                "review_due": "someday",
            },
            "x.fr.md",
        ),
    ],
)
def test_a_file_with_bad_front_matter_is_reported_by_name(
    kb: KB, tmp_path: Path, metadata: dict[str, object], message: str
) -> None:
    write(tmp_path / "box-wifi" / "x.fr.md", metadata, "Un texte.")
    report = import_folder(tmp_path)
    assert not report.ok
    assert any("x.fr.md" in error and message in error for error in report.errors), report.errors
    assert not Article.objects.filter(key="x").exists()


def test_a_file_with_broken_yaml_is_reported(kb: KB, tmp_path: Path) -> None:
    path = tmp_path / "box-wifi" / "broken.fr.md"
    path.parent.mkdir(parents=True)
    path.write_text("---\nkey: broken\ntitle: [unclosed\n---\nTexte.\n", encoding="utf-8")
    report = import_folder(tmp_path)
    assert not report.ok
    assert not Article.objects.filter(key="broken").exists()


def test_importing_something_that_is_not_a_folder_fails(db: None, tmp_path: Path) -> None:
    with pytest.raises(FolderImportError):
        import_folder(tmp_path / "missing")


def test_the_import_command_refuses_a_bad_folder_and_writes_nothing(kb: KB, tmp_path: Path) -> None:
    write(
        tmp_path / "box-wifi" / "x.fr.md",
        {"lang": "fr", "title": "X", "category": "box-wifi"},
        "Texte.",
    )
    with pytest.raises(CommandError, match=r"x\.fr\.md"):
        call_command("kb_import", str(tmp_path))
    assert not Article.objects.filter(translations__title="X").exists()


def test_the_export_and_import_commands_round_trip(
    kb: KB, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("kb_export", str(tmp_path))
    call_command("kb_import", str(tmp_path))
    output = capsys.readouterr().out
    assert "10 files written" in output
    assert "0 created, 0 updated, 10 unchanged" in output


def test_the_demo_knowledge_base_imports_cleanly(db: None) -> None:
    report = import_folder(KB_FOLDER)
    assert report.ok, report.errors
    assert report.created == len(list(KB_FOLDER.rglob("*.md")))
    drafts = sum(
        "\nstatus: draft\n" in p.read_text(encoding="utf-8") for p in KB_FOLDER.rglob("*.md")
    )
    assert ArticleTranslation.objects.filter(status=Status.DRAFT).count() == drafts
