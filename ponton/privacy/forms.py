"""The confirmation a customer gives before erasing their own account."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


def erasure_word() -> str:
    """The word to type to confirm an erasure, in the page's language."""
    return str(_("ERASE"))


class EraseAccountForm(forms.Form):
    confirmation = forms.CharField(
        label=_("To confirm, type the word shown above"), max_length=40, strip=True
    )

    def clean_confirmation(self) -> str:
        typed = self.cleaned_data["confirmation"]
        if typed.casefold() != str(erasure_word()).casefold():
            raise forms.ValidationError(
                _("Type %(word)s to confirm; nothing has been erased.") % {"word": erasure_word()}
            )
        return typed
