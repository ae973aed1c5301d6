from django.urls import path

from ponton.connectors.email import views

app_name = "email"

urlpatterns = [
    path("solved/<str:token>/", views.solved, name="solved"),
    path("original/<int:record_id>/", views.original, name="original"),
]
