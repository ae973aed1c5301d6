from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "ponton.api"
    label = "api"
    verbose_name = "API"
