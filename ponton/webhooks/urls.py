from django.urls import path

from ponton.webhooks import api

urlpatterns = [
    path("webhooks", api.EndpointsView.as_view(), name="webhooks"),
    path("webhooks/<int:endpoint_id>", api.EndpointView.as_view(), name="webhook"),
    path("webhooks/<int:endpoint_id>/test", api.TestView.as_view(), name="webhook-test"),
    path(
        "webhooks/<int:endpoint_id>/rotate-secret",
        api.RotateView.as_view(),
        name="webhook-rotate-secret",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries",
        api.DeliveriesView.as_view(),
        name="webhook-deliveries",
    ),
    path(
        "webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/replay",
        api.ReplayView.as_view(),
        name="webhook-replay",
    ),
]
