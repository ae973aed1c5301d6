from django.apps import AppConfig


class ConnectorsConfig(AppConfig):
    name = "ponton.connectors"
    label = "connectors"
    verbose_name = "Channels and connectors"
