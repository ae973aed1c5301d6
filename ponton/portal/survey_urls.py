"""Survey pages, answered through a signed link without signing in."""

from django.urls import path

from ponton.portal import views

app_name = "surveys"

urlpatterns = [
    path("<str:token>/", views.survey_answer, name="answer"),
    path("<str:token>/thanks/", views.survey_thanks, name="thanks"),
]
