from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from ponton.accounts.models import STAFF_ROLES
from ponton.knowledge.models import Audience, Category, Status


class CommaListField(forms.CharField):
    """A list of short codes typed as "a, b, c"."""

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [part.strip() for part in text.split(",") if part.strip()]

    def prepare_value(self, value: Any) -> str:
        return ", ".join(value) if isinstance(value, list | tuple) else (value or "")


class LinesField(forms.CharField):
    """One item per line."""

    widget = forms.Textarea(attrs={"rows": 5})

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def prepare_value(self, value: Any) -> str:
        return "\n".join(value) if isinstance(value, list | tuple) else (value or "")


class StaffChoiceField(forms.ModelChoiceField):
    """Staff by the name the rest of the product shows, not their username."""

    def label_from_instance(self, obj: Any) -> str:
        return obj.get_full_name() or obj.get_username()


class ArticleEditForm(forms.Form):
    key = forms.SlugField(
        label=_("Key"),
        max_length=120,
        help_text=_("Shared by both languages, e.g. forgotten-password."),
    )
    category = forms.ModelChoiceField(label=_("Category"), queryset=Category.objects.all())
    audience = forms.ChoiceField(label=_("Audience"), choices=Audience.choices)
    plans = CommaListField(label=_("Plans"), required=False, help_text=_("Empty for all plans."))
    modules = CommaListField(
        label=_("Products"), required=False, help_text=_("Empty for all products.")
    )
    segments = CommaListField(
        label=_("Segments"), required=False, help_text=_("Empty for all segments.")
    )
    owner = StaffChoiceField(
        label=_("Owner"),
        queryset=get_user_model()
        .objects.filter(role__in=STAFF_ROLES)
        .order_by("first_name", "last_name", "username"),
        required=False,
    )
    # A date input sends and shows ISO dates whatever the page's language: a localised
    # value ("15/03/2027") would show empty and be saved as no date at all.
    review_due = forms.DateField(
        label=_("Review by"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    title = forms.CharField(label=_("Title"), max_length=200)
    body = forms.CharField(label=_("Answer (Markdown)"), widget=forms.Textarea(attrs={"rows": 18}))
    questions = LinesField(
        label=_("Example questions"),
        required=False,
        help_text=_("Other ways customers ask it, one per line. The assistant learns from them."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Status.choices)
    note = forms.CharField(label=_("What changed"), max_length=200, required=False)
