from django.urls import path

from ponton.insights import views

app_name = "insights"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("reasons", views.reasons, name="reasons"),
    path("gaps", views.gaps, name="gaps"),
    path("incidents", views.incidents, name="incidents"),
    path("gaps/draft", views.draft_from_gap, name="draft-from-gap"),
    path("export/<slug:table>.csv", views.export, name="export"),
    path("replies/<int:message_id>/draft", views.draft_from_reply, name="draft-from-reply"),
    path("proposals/", views.proposals, name="proposals"),
    path("proposals/<int:pk>", views.proposal, name="proposal"),
    path("articles/<int:pk>/<str:lang>/propose", views.propose, name="propose"),
]
