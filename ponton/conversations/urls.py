from django.urls import path

from ponton.conversations import views

app_name = "conversations"

urlpatterns = [
    path("", views.contact, name="contact"),
    path("sent/", views.contact_done, name="contact_done"),
]
