"""The demo company's own systems, as seen by Ponton's connector.

A real deployment points PONTON_CONNECTOR_URL at its CRM or billing API; the
demo answers here with plausible, stable data derived from the customer number.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, JsonResponse
from django.urls import path
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST


def _seed(value: str) -> int:
    return int(hashlib.sha256(value.encode()).hexdigest()[:8], 16)


def _payload(request: HttpRequest) -> dict[str, Any] | JsonResponse:
    if not settings.PONTON_DEMO_BACKEND:
        raise Http404  # off unless the demo runs
    token = settings.PONTON_CONNECTOR_TOKEN
    if not token or not hmac.compare_digest(
        request.headers.get("Authorization", ""), f"Bearer {token}"
    ):
        return JsonResponse({"error": "unauthorized"}, status=401)
    try:
        data = json.loads(request.body or b"{}")
    except json.JSONDecodeError:
        return JsonResponse({"error": "body must be JSON"}, status=400)
    return (
        data
        if isinstance(data, dict)
        else JsonResponse({"error": "body must be an object"}, status=400)
    )


def _endpoint(view: Any) -> Any:
    @csrf_exempt
    @require_POST
    def wrapper(request: HttpRequest) -> JsonResponse:
        data = _payload(request)
        if isinstance(data, JsonResponse):
            return data
        return view(data)

    return wrapper


@_endpoint
def password_reset(data: dict[str, Any]) -> JsonResponse:
    email = str(data.get("email", ""))
    if "@" not in email:
        return JsonResponse({"error": "an email address is required"}, status=400)
    name, domain = email.split("@", 1)
    return JsonResponse({"sent_to": f"{name[:1]}***@{domain}"})


@_endpoint
def latest_invoice(data: dict[str, Any]) -> JsonResponse:
    number = str(data.get("customer_number") or "40000000")
    today = timezone.localdate()
    issued = (
        today.replace(day=5)
        if today.day >= 5
        else (today.replace(day=1) - timedelta(days=1)).replace(day=5)
    )
    amount = ["24.99", "39.99", "47.98", "15.99"][_seed(number) % 4]
    return JsonResponse(
        {
            "number": f"F{issued:%Y%m}-{number[-5:]}",
            "date": issued.isoformat(),
            "amount": amount,
            "status": "paid" if today.day >= 10 else "due",
            "pdf": f"https://espace.hirondelle.example/factures/F{issued:%Y%m}-{number[-5:]}.pdf",
        }
    )


@_endpoint
def track_order(data: dict[str, Any]) -> JsonResponse:
    number = str(data.get("customer_number") or "40000000")
    if _seed(number) % 5 == 0:
        return JsonResponse({"order": None})
    eta = timezone.localdate() + timedelta(days=1 + _seed(number) % 3)
    return JsonResponse(
        {
            "order": f"C-{number[-6:]}",
            "status": "shipped",
            "status_label": "en cours de livraison",
            "carrier": "Colissimo",
            "eta": eta.isoformat(),
            "tracking_url": f"https://suivi.hirondelle.example/C-{number[-6:]}",
        }
    )


def _slots() -> list[datetime]:
    start = timezone.localtime() + timedelta(days=1)
    slots: list[datetime] = []
    day = start.date()
    while len(slots) < 6:
        if day.weekday() < 6:
            for hour in (8, 13, 17):
                slots.append(timezone.make_aware(datetime.combine(day, time(hour))))
        day += timedelta(days=1)
    return slots


@_endpoint
def appointment_slots(data: dict[str, Any]) -> JsonResponse:
    return JsonResponse({"slots": [s.isoformat() for s in _slots()]})


@_endpoint
def book_appointment(data: dict[str, Any]) -> JsonResponse:
    slot = str(data.get("slot", ""))
    if slot not in {s.isoformat() for s in _slots()}:
        return JsonResponse({"error": "this slot is no longer free"}, status=409)
    return JsonResponse(
        {
            "confirmed": slot,
            "reference": f"RDV-{_seed(slot + str(data.get('customer_number'))) % 100000:05d}",
        }
    )


urlpatterns = [
    path("password-reset", password_reset),
    path("latest-invoice", latest_invoice),
    path("track-order", track_order),
    path("appointment-slots", appointment_slots),
    path("book-appointment", book_appointment),
]
