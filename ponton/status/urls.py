from django.urls import path

from ponton.status import views

app_name = "status"

urlpatterns = [
    path("", views.status_page, name="page"),
    path("feed/", views.StatusFeed(), name="feed"),
    path("subscribe", views.subscribe, name="subscribe"),
    path("unsubscribe/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("incidents/<int:incident_id>/", views.incident_anchor, name="incident"),
]
