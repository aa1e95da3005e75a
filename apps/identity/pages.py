"""The pages a person sees: passkey sign-up, login and the passkeys (devices) page. The ceremonies run in
static/identity/passkeys.js and static/identity/devices.js."""

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


def devices_page(request: HttpRequest) -> HttpResponse:
    """The passkeys page; its ceremonies (add with a step-up, on-chain owner approval, revoke) run in
    static/identity/devices.js against the devices API with the access token the login page keeps."""
    return render(request, "identity/devices.html")
