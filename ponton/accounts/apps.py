from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "ponton.accounts"
    label = "accounts"
    verbose_name = "Accounts"

    def ready(self) -> None:
        from ponton.accounts import revocation, signin  # noqa: F401  (signal receivers)
        from ponton.accounts.models import Skill, Team
        from ponton.audit.configuration import watch

        for model in (Team, Skill):  # setting changes in the audit log
            watch(model)
