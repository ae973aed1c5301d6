from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ponton.accounts"
    label = "accounts"
    verbose_name = "Accounts"
