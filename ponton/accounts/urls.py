from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from ponton.accounts import twofactor_views
from ponton.accounts.views import PasswordResetConfirmView, PasswordResetView, SignInView

app_name = "accounts"

urlpatterns = [
    path("login/", SignInView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", twofactor_views.code, name="two_factor_code"),
    path("two-factor/", twofactor_views.overview, name="two_factor"),
    path("two-factor/setup/", twofactor_views.setup, name="two_factor_setup"),
    path(
        "two-factor/backup-codes/",
        twofactor_views.backup_codes,
        name="two_factor_backup_codes",
    ),
    path(
        "password-reset/",
        PasswordResetView.as_view(
            template_name="accounts/password_reset.html",
            email_template_name="accounts/password_reset_email.txt",
            subject_template_name="accounts/password_reset_subject.txt",
            success_url=reverse_lazy("accounts:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="accounts/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        PasswordResetConfirmView.as_view(
            template_name="accounts/password_reset_confirm.html",
            success_url=reverse_lazy("accounts:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="accounts/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]
