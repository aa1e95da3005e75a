"""The send page a person uses; the flow runs in static/paymaster/send.js against the transactions API."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def send_page(request: HttpRequest) -> HttpResponse:
    return render(request, "paymaster/send.html")
