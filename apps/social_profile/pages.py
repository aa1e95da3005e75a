"""Plain Django views: the local storage backend's signed upload and download URLs (development only)."""

from __future__ import annotations

from django.conf import settings
from django.core import signing
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from apps.social_profile.adapters.storage import LOCAL_DOWNLOAD_SALT, LOCAL_UPLOAD_SALT, get_media_storage
from lykos.errors import json_error_response


@csrf_exempt  # authorised by the signed token, like a presigned S3 POST
@require_POST
def local_media_upload(request: HttpRequest) -> HttpResponse:
    try:
        grant = signing.loads(
            request.POST.get("token", ""), salt=LOCAL_UPLOAD_SALT, max_age=settings.MEDIA_UPLOAD_URL_TTL_SECONDS
        )
    except signing.BadSignature:
        return json_error_response("upload_not_allowed", "The upload URL is invalid or expired.", 403)
    upload = request.FILES.get("file")
    if upload is None or upload.size is None or upload.size > grant["max"] or upload.size < 1:
        return json_error_response("upload_not_allowed", "One file within the size limit is required.", 400)
    get_media_storage().write(grant["key"], upload.read(), content_type=grant["ct"])
    return HttpResponse(status=204)


@require_GET
def local_media_file(request: HttpRequest, token: str) -> HttpResponseBase:
    try:
        grant = signing.loads(token, salt=LOCAL_DOWNLOAD_SALT, max_age=settings.MEDIA_DOWNLOAD_URL_TTL_SECONDS)
    except signing.BadSignature:
        return json_error_response("not_found", "No such file.", 404)
    storage = get_media_storage()
    head = storage.head(grant["key"])
    if head is None or not grant["key"].startswith("media/"):
        return json_error_response("not_found", "No such file.", 404)
    data = storage.read(grant["key"], max_bytes=head.size)
    return FileResponse(iter([data]), content_type=head.content_type or "application/octet-stream")
