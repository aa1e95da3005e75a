"""The pages a person sees: passkey sign-up and login. The ceremonies run in static/identity/passkeys.js."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme


def _next(request: HttpRequest) -> str:
    """Only a local path: an open redirect after login is a phishing tool."""
    target = request.GET.get("next", "")
    if target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts=None):
        return target
    return ""


def signup_page(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/signup.html", {"next": _next(request)})


def login_page(request: HttpRequest) -> HttpResponse:
    return render(request, "identity/login.html", {"next": _next(request)})
