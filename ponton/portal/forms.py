from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from django import forms
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext_lazy as _

from ponton import phones
from ponton.accounts.models import Channel, Language
from ponton.conversations.attachments import MAX_FILES_PER_MESSAGE, allowed_labels
from ponton.conversations.lifecycle import MAX_MESSAGE_LENGTH
from ponton.conversations.models import SurveyKind
from ponton.conversations.surveys import EFFORT_SCALE, SCALES
from ponton.portal.callbacks import Slot


class MagicLinkForm(forms.Form):
    email = forms.EmailField(label=_("Your email address"), max_length=254)


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; the checks on each are the service's."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ReplyForm(forms.Form):
    text = forms.CharField(
        label=_("Your message"),
        max_length=MAX_MESSAGE_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    attachments = MultipleFileField(label=_("Attach files"), required=False)
    # One message however often the form is sent (double click, reload after a slow answer).
    client_msg_id = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client_msg_id"].initial = uuid.uuid4().hex
        megabytes = settings.PONTON_ATTACHMENT_MAX_BYTES / (1024 * 1024)
        self.fields["attachments"].help_text = _(
            "Up to %(n)s files of %(size)s MB each: %(types)s."
        ) % {
            "n": MAX_FILES_PER_MESSAGE,
            "size": f"{megabytes:.1f}".removesuffix(".0"),
            "types": allowed_labels(),
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not (data.get("text") or "").strip() and not data.get("attachments"):
            self.add_error("text", _("Write a message or attach a file."))
        return data


class PreferencesForm(forms.Form):
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    preferred_channel = forms.ChoiceField(
        label=_("How we should contact you"), choices=Channel.choices
    )
    prefers_person = forms.BooleanField(
        label=_("I prefer to talk to a person rather than the automated assistant"),
        required=False,
    )
    accessibility_needs = forms.CharField(
        label=_("Accessibility needs"),
        help_text=_(
            "For example: I am hard of hearing, please write rather than call. Only advisors "
            "who handle your requests see it."
        ),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    phone = forms.CharField(label=_("Phone number"), required=False, max_length=32)

    def clean_phone(self) -> str:
        return _valid_phone(self.cleaned_data["phone"])


def _valid_phone(value: str) -> str:
    """A number that can really be called, written the one way people read it (national in
    our country, international otherwise, so it parses back the same); "" stays ""."""
    if not value.strip():
        return ""
    number = phones.valid_e164(value)
    if not number:
        raise forms.ValidationError(
            _("This is not a complete phone number. Write it whole, for example 06 12 34 56 78.")
        )
    return phones.display(number)


class CallbackForm(forms.Form):
    slot = forms.CharField(label=_("When should we call you?"))
    phone = forms.CharField(label=_("Phone number"), max_length=32)
    note = forms.CharField(
        label=_("What is it about? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, slots: list[Slot], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # One group of times per day, each folded under its day: a few days to open rather
        # than a list of every slot.
        days: dict[str, list[tuple[str, str]]] = {}
        for slot in slots:
            local = timezone.localtime(slot.starts_at)
            days.setdefault(formats.date_format(local, "l j F"), []).append(
                (slot.value, formats.time_format(local, "H:i"))
            )
        self.days = list(days.items())

    def clean_phone(self) -> str:
        return _valid_phone(self.cleaned_data["phone"])

    def clean_slot(self) -> datetime:
        # Any well-formed time passes here; the service says whether it can be booked.
        try:
            value = datetime.fromisoformat(self.cleaned_data["slot"])
        except ValueError:
            raise forms.ValidationError(_("Choose a slot in the list.")) from None
        if timezone.is_naive(value):
            raise forms.ValidationError(_("Choose a slot in the list."))
        return value


class CsatForm(forms.Form):
    """Satisfaction (1 to 5), then how easy it was (1 to 7), then a comment."""

    score = forms.TypedChoiceField(
        label=_("How satisfied are you with the answer to your request?"),
        choices=[
            (n, str(n)) for n in range(SCALES[SurveyKind.CSAT][0], SCALES[SurveyKind.CSAT][1] + 1)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score from 1 to 5.")},
    )
    effort = forms.TypedChoiceField(
        label=_("How easy was it to get your request handled?"),
        choices=[(n, str(n)) for n in range(EFFORT_SCALE[0], EFFORT_SCALE[1] + 1)],
        coerce=int,
        empty_value=None,
        widget=forms.RadioSelect,
        required=False,
    )
    comment = forms.CharField(
        label=_("Anything to add? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class NpsForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("How likely are you to recommend us to a friend or colleague?"),
        choices=[
            (n, str(n)) for n in range(SCALES[SurveyKind.NPS][0], SCALES[SurveyKind.NPS][1] + 1)
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a score from 0 to 10.")},
    )
    comment = forms.CharField(
        label=_("What is the main reason for your score? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
