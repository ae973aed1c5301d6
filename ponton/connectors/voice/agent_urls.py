from django.urls import path

from ponton.connectors.voice import views

app_name = "voice"

urlpatterns = [
    path("pop", views.screen_pop, name="screen_pop"),
    path("<int:call_id>/wrap-up", views.wrap_up, name="wrap_up"),
    path("callbacks/<int:callback_id>/call", views.callback_call, name="callback_call"),
    path("callbacks/<int:callback_id>/outcome", views.callback_outcome, name="callback_outcome"),
]
