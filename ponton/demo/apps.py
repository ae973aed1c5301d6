from django.apps import AppConfig


class DemoConfig(AppConfig):
    name = "ponton.demo"
    label = "demo"
    verbose_name = "Demo"
