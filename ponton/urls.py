from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.urls import include, path

from ponton.accounts import views as account_views
from ponton.api import views as api_views


def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask for /favicon.ico on their own, whatever the page says."""
    return HttpResponsePermanentRedirect(static("ponton/favicon.svg"))


handler400 = "ponton.api.errors.bad_request"
handler404 = "ponton.api.errors.page_not_found"
handler500 = "ponton.dbdown.server_error"

urlpatterns = [
    path("api/v1/", include("ponton.api.urls")),
    path("api/docs/", api_views.docs, name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/login/", account_views.admin_sign_in),
    path("oidc/", include("ponton.accounts.oidc_urls")),
    path("admin/", admin.site.urls),
    # Liveness, readiness and Prometheus metrics (ponton/ops).
    path("", include("ponton.ops.urls")),
    path("favicon.ico", favicon),
    # Answers only while the demo runs (PONTON_DEMO_BACKEND, set by `ponton demo`).
    path("demo-backend/", include("ponton.demo.backend")),
    *i18n_patterns(
        path("", include("ponton.knowledge.urls")),
        path("contact/", include("ponton.connectors.webform.urls")),
        path("email/", include("ponton.connectors.email.urls")),
        path("accounts/", include("ponton.accounts.urls")),
        path("agent/supervision/", include("ponton.conversations.supervision_urls")),
        path("agent/incidents/", include("ponton.status.manage_urls")),
        path("agent/calls/", include("ponton.connectors.voice.agent_urls")),
        path("agent/", include("ponton.workspace.urls")),
        path("manage/insights/", include("ponton.insights.urls")),
        path("account/", include("ponton.privacy.account_urls")),
        path("account/", include("ponton.portal.urls")),
        path("survey/", include("ponton.portal.survey_urls")),
        path("status/", include("ponton.status.urls")),
        path("privacy/", include("ponton.privacy.urls")),
        prefix_default_language=True,
    ),
]
