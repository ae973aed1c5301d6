from django.urls import path

from ponton.privacy import views

app_name = "privacy"

urlpatterns = [
    path("", views.cookies, name="cookies"),
    path("choice/", views.choose, name="choose"),
]
