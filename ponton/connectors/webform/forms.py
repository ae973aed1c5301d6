from django import forms
from django.utils.translation import gettext_lazy as _


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Your name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email to answer you"), required=False)
    text = forms.CharField(
        label=_("What do you need?"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
