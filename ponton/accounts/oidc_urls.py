"""Single sign-on's two addresses, outside the language prefix: the provider knows
one fixed callback URL (SITE_URL + /oidc/callback/)."""

from django.urls import path

from ponton.accounts import oidc

app_name = "oidc"

urlpatterns = [
    path("start/", oidc.StartView.as_view(), name="start"),
    path("callback/", oidc.CallbackView.as_view(), name="callback"),
]
