from django.urls import path

from ponton.status import manage

app_name = "status_manage"

urlpatterns = [
    path("", manage.incidents, name="incidents"),
    path("declare", manage.declare, name="declare"),
    path("maintenance", manage.maintenance, name="maintenance"),
    path("components", manage.add_component, name="add_component"),
    path("<int:incident_id>/", manage.incident, name="incident"),
    path("<int:incident_id>/update", manage.update, name="update"),
    path("<int:incident_id>/answer", manage.answer_all, name="answer_all"),
    path("<int:incident_id>/solve", manage.solve_all, name="solve_all"),
]
