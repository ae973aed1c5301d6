from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.http import HttpRequest, JsonResponse
from django.urls import include, path


def health(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("api/v1/", include("ponton.api.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("healthz", health),
    *(
        [path("demo-backend/", include("ponton.demo.backend"))]
        if settings.PONTON_DEMO_BACKEND
        else []
    ),
    *i18n_patterns(
        path("", include("ponton.knowledge.urls")),
        path("contact/", include("ponton.connectors.webform.urls")),
        path("email/", include("ponton.connectors.email.urls")),
        path("accounts/", include("ponton.accounts.urls")),
        path("agent/supervision/", include("ponton.conversations.supervision_urls")),
        path("agent/", include("ponton.workspace.urls")),
        path("manage/insights/", include("ponton.insights.urls")),
        path("account/", include("ponton.portal.urls")),
        path("survey/", include("ponton.portal.survey_urls")),
        prefix_default_language=True,
    ),
]
