"""Import and export the knowledge base as a folder of Markdown files.

Layout: `categories.yml` at the top, then `<category>/<key>.<lang>.md`, each
file a translation with its article's fields in YAML front matter. A team can
keep this folder in git, review changes there and import it again: unchanged
translations are left alone, so re-importing creates no new versions.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import frontmatter
import yaml
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from ponton.knowledge.models import Article, ArticleTranslation, Category, Status
from ponton.knowledge.services import (
    LANGUAGES,
    ArticleFields,
    TranslationFields,
    save_article,
    save_translation,
)

ARTICLE_KEYS = ("category", "audience", "plans", "modules", "segments", "owner", "review_due")


@dataclass
class ImportReport:
    categories: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


class FolderImportError(Exception):
    """The folder cannot be imported; nothing was written."""


def _load_categories(folder: Path, report: ImportReport) -> None:
    path = folder / "categories.yml"
    if not path.exists():
        return
    for position, item in enumerate(yaml.safe_load(path.read_text(encoding="utf-8")) or []):
        try:
            Category.objects.update_or_create(
                slug=item["slug"],
                defaults={
                    "position": position,
                    "icon": item.get("icon", ""),
                    "slug_fr": item.get("slug_fr", ""),
                    "name_fr": item["name"]["fr"],
                    "name_en": item["name"]["en"],
                    "description_fr": item.get("description", {}).get("fr", ""),
                    "description_en": item.get("description", {}).get("en", ""),
                },
            )
            report.categories += 1
        except (KeyError, TypeError) as exc:
            report.errors.append(f"categories.yml item {position + 1}: missing {exc}")


def _parse(path: Path, folder: Path) -> dict[str, Any]:
    post = frontmatter.load(path)
    meta = dict(post.metadata)
    name = path.relative_to(folder)
    for required in ("key", "lang", "title", "category"):
        if not meta.get(required):
            raise ValueError(f"{name}: front matter lacks '{required}'")
    if meta["lang"] not in LANGUAGES:
        raise ValueError(f"{name}: lang must be one of {', '.join(LANGUAGES)}")
    questions = meta.get("questions") or []
    if not isinstance(questions, list) or not all(isinstance(q, str) for q in questions):
        raise ValueError(f"{name}: 'questions' must be a list of strings (quote any with a colon)")
    meta["body"] = post.content
    meta["path"] = str(name)
    return meta


def _to_date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


@transaction.atomic
def import_folder(folder: Path, *, author: Any = None) -> ImportReport:
    """Create or update every article found under `folder`. All or nothing."""
    folder = Path(folder)
    if not folder.is_dir():
        raise FolderImportError(f"{folder} is not a folder")
    report = ImportReport()
    _load_categories(folder, report)
    by_key: dict[str, list[dict[str, Any]]] = {}
    for path in sorted(folder.rglob("*.md")):
        try:
            meta = _parse(path, folder)
        except (ValueError, yaml.YAMLError) as exc:
            report.errors.append(str(exc))
            continue
        by_key.setdefault(str(meta["key"]), []).append(meta)

    users = get_user_model().objects
    categories = {c.slug: c for c in Category.objects.all()}
    for key, files in by_key.items():
        first = files[0]
        category = categories.get(first["category"])
        if category is None:
            report.errors.append(f"{first['path']}: unknown category '{first['category']}'")
            continue
        try:
            owner = users.filter(username=first["owner"]).first() if first.get("owner") else None
            fields = ArticleFields(
                category=category,
                audience=first.get("audience") or "public",
                plans=list(first.get("plans") or []),
                modules=list(first.get("modules") or []),
                segments=list(first.get("segments") or []),
                owner=owner,
                review_due=_to_date(first.get("review_due")),
            )
            article = Article.objects.filter(key=key).first()
            article = save_article(key=key, fields=fields, article=article)
            for meta in files:
                _import_translation(article, meta, author, report)
        except (ValidationError, ValueError) as exc:
            report.errors.append(f"{first['path']}: {exc}")
    if report.errors:
        transaction.set_rollback(True)
    return report


def _import_translation(
    article: Article, meta: dict[str, Any], author: Any, report: ImportReport
) -> None:
    fields = TranslationFields(
        title=str(meta["title"]),
        body=meta["body"],
        questions=[str(q) for q in meta.get("questions") or []],
        status=meta.get("status") or Status.PUBLISHED,
    )
    existing = ArticleTranslation.objects.filter(article=article, language=meta["lang"]).first()
    if existing and (
        existing.title == fields.title
        and existing.body.strip() == fields.body.strip()
        and existing.questions == fields.questions
        and existing.status == fields.status
    ):
        report.unchanged += 1
        return
    save_translation(
        article=article, language=meta["lang"], fields=fields, author=author, note="Imported"
    )
    if existing:
        report.updated += 1
    else:
        report.created += 1


def export_folder(folder: Path) -> int:
    """Write every article and category under `folder`; returns the number of files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    categories = [
        {
            "slug": c.slug,
            **({"slug_fr": c.slug_fr} if c.slug_fr else {}),
            "icon": c.icon,
            "name": {"fr": c.name_fr, "en": c.name_en},
            "description": {"fr": c.description_fr, "en": c.description_en},
        }
        for c in Category.objects.all()
    ]
    (folder / "categories.yml").write_text(
        yaml.safe_dump(categories, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    written = 0
    translations = ArticleTranslation.objects.select_related(
        "article", "article__category", "article__owner"
    ).order_by("article__key", "language")
    for translation in translations:
        article = translation.article
        post = frontmatter.Post(
            translation.body,
            key=article.key,
            lang=translation.language,
            title=translation.title,
            category=article.category.slug,
            audience=article.audience,
            plans=article.plans,
            modules=article.modules,
            segments=article.segments,
            owner=article.owner.username if article.owner else None,
            review_due=article.review_due.isoformat() if article.review_due else None,
            status=translation.status,
            questions=translation.questions,
        )
        target = folder / article.category.slug / f"{article.key}.{translation.language}.md"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(frontmatter.dumps(post, sort_keys=False) + "\n", encoding="utf-8")
        written += 1
    return written
