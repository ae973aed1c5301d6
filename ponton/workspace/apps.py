from django.apps import AppConfig


class WorkspaceConfig(AppConfig):
    name = "ponton.workspace"
    label = "workspace"
    verbose_name = "Agents' workspace"
