from django.apps import AppConfig


class TasksConfig(AppConfig):
    name = "ponton.tasks"
    label = "tasks"
    verbose_name = "Background tasks"
