"""`/metrics` for a Prometheus scraper only: it labels platforms and shows traffic, so it is not public.

A scraper sends `Authorization: Bearer <METRICS_TOKEN>` (Prometheus' `authorization` / `bearer_token_file`). While
the token is empty the endpoint is not served at all (404), so a deployment that forgot it fails closed.
"""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django_prometheus.exports import ExportToDjangoView  # type: ignore[import-untyped]  # ships no type hints

from lykos.errors import NotAuthenticated, NotFound, error_json_response


class MetricsTokenRequired(NotAuthenticated):
    code = "metrics_token_required"
    default_message = "Metrics need `Authorization: Bearer <METRICS_TOKEN>`."


def metrics(request: HttpRequest) -> HttpResponse:
    token: str = settings.METRICS_TOKEN
    if not token:
        return error_json_response(NotFound("No such resource."))
    scheme, _, sent = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent.strip().encode(), token.encode()):
        refusal = error_json_response(MetricsTokenRequired())
        refusal["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return refusal
    # django-prometheus' own view (it also knows the multiprocess registry gunicorn workers need).
    response: HttpResponse = ExportToDjangoView(request)
    return response
