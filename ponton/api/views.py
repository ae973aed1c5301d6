"""The API reference, published with the help center at /api/docs/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from ponton.api import reference


def docs(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "api/reference.html",
        {"operations": reference.operations(), "version": reference.version()},
    )
