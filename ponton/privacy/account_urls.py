"""The customer's own erasure, served under the customer space's /account/ prefix."""

from django.urls import path

from ponton.privacy import views

app_name = "account_erasure"

urlpatterns = [
    path("erase/", views.erase, name="erase"),
    path("erased/", views.erased, name="erased"),
]
