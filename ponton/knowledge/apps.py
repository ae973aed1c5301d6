from django.apps import AppConfig


class KnowledgeConfig(AppConfig):
    name = "ponton.knowledge"
    label = "knowledge"
    verbose_name = "Knowledge base"
