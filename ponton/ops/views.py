from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from ponton.ops import health, metrics

RETRY_AFTER_SECONDS = 5


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness: the process answers; no dependency is looked at."""
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def readyz(request: HttpRequest) -> JsonResponse:
    """Readiness: 200 when the database, the migrations, Redis (if any) and the task queue's
    lag (if limited) are fine, else 503 with the reasons."""
    result = health.readiness()
    if result.ready:
        return JsonResponse({"status": "ready", "checks": result.checks})
    response = JsonResponse(
        {"status": "unavailable", "checks": result.checks, "reasons": result.reasons},
        status=503,
    )
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


@never_cache
@require_safe
def prometheus(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics, for the bearer token or the allowed addresses only."""
    if not metrics.may_read(request):
        response = JsonResponse({"detail": "Metrics need the bearer token."}, status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=metrics.CONTENT_TYPE_LATEST)
