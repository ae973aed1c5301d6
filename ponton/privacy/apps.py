from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    name = "ponton.privacy"
    label = "privacy"
    verbose_name = "Privacy"
