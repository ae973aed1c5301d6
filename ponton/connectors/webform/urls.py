from django.urls import path

from ponton.connectors.webform import views

app_name = "webform"

urlpatterns = [
    path("", views.contact, name="contact"),
    path("sent/", views.contact_done, name="contact_done"),
]
