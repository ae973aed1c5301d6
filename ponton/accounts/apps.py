from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ponton.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from ponton.accounts import revocation, signin  # noqa: F401  (signal receivers)
