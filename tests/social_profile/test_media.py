"""Uploads go straight to S3 with a presigned POST; a real worker checks what arrived, with a real clamd."""

from __future__ import annotations

import io
import time
import uuid

import pytest
import requests
from PIL import Image

from apps.social_profile.models import MediaAsset
from tests.support.media import BUCKET, EICAR, MAX_IMAGE_BYTES

pytestmark = pytest.mark.django_db(transaction=True)


def png_with_gps() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010F] = "SpyCam Inc"  # Make
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (48.0, 51.0, 29.0)
    gps[3] = "E"
    gps[4] = (2.0, 17.0, 40.0)
    out = io.BytesIO()
    image.save(out, format="PNG", exif=exif)
    data = out.getvalue()
    assert Image.open(io.BytesIO(data)).getexif().get_ifd(0x8825)  # the fixture really carries GPS
    return data


def upload(wallet, *, kind: str, content_type: str, data: bytes) -> str:  # type: ignore[no-untyped-def]
    begun = wallet.authed("post", "/api/v1/media/uploads", {"kind": kind, "content_type": content_type})
    assert begun.status_code == 201, begun.content
    body = begun.json()
    assert body["upload"]["fields"]["key"].startswith("incoming/")
    posted = requests.post(
        body["upload"]["url"], data=body["upload"]["fields"], files={"file": ("upload", data, content_type)}, timeout=20
    )
    assert posted.status_code in (200, 204), posted.text
    confirmed = wallet.authed("post", f"/api/v1/media/{body['media']['id']}/confirm")
    assert confirmed.status_code == 202, confirmed.content
    return body["media"]["id"]


def settled(media_id: str, timeout: float = 30) -> MediaAsset:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        asset = MediaAsset.objects.get(pk=media_id)
        if asset.status in (MediaAsset.Status.CLEAN, MediaAsset.Status.REJECTED):
            return asset
        time.sleep(0.2)
    raise AssertionError(f"upload {media_id} still {asset.status} after {timeout} s")


@pytest.fixture
def uploader(media_settings, social_worker, make_wallet):  # type: ignore[no-untyped-def]
    wallet = make_wallet()
    wallet.sign_up("uploader")
    return wallet


def test_a_png_with_gps_exif_comes_back_stripped(uploader, s3_server) -> None:  # type: ignore[no-untyped-def]
    media_id = upload(uploader, kind="avatar", content_type="image/png", data=png_with_gps())
    asset = settled(media_id)
    assert asset.status == MediaAsset.Status.CLEAN, asset.rejection_reason
    assert f"incoming/{asset.owner_id}/{asset.id}" not in s3_server.object_keys()

    detail = uploader.authed("get", f"/api/v1/media/{media_id}").json()
    stored = requests.get(detail["url"], timeout=20).content
    image = Image.open(io.BytesIO(stored))
    assert image.format == "PNG" and image.size == (64, 48)
    assert not image.getexif() and "exif" not in image.info
    assert b"SpyCam" not in stored and b"Exif" not in stored

    profile = uploader.authed("patch", "/api/v1/profile", {"avatar_id": media_id})
    assert profile.status_code == 200 and profile.json()["avatar_url"]


@pytest.mark.parametrize(
    ("kind", "content_type", "data", "reason"),
    [
        ("avatar", "image/png", b"GIF89a" + b"\0" * 200, "type_mismatch"),
        ("avatar", "image/jpeg", b"\x89PNG\r\n\x1a\n" + b"\0" * 200, "type_mismatch"),
        ("header", "image/png", b"\x89PNG\r\n\x1a\n" + b"\0" * (MAX_IMAGE_BYTES + 1), "too_large"),
        ("document", "application/pdf", b"%PDF-1.4\n" + EICAR + b"\n%%EOF", "malware"),
        ("avatar", "image/png", b"\x89PNG\r\n\x1a\n" + b"not really an image", "unreadable_image"),
    ],
    ids=["bytes-not-declared-type", "png-declared-jpeg", "oversized", "eicar", "broken-image"],
)
def test_bad_uploads_are_rejected_and_deleted(uploader, s3_server, kind, content_type, data, reason) -> None:  # type: ignore[no-untyped-def]
    media_id = upload(uploader, kind=kind, content_type=content_type, data=data)
    asset = settled(media_id)
    assert asset.status == MediaAsset.Status.REJECTED
    assert asset.rejection_reason == reason
    assert not [key for key in s3_server.object_keys() if str(asset.id) in key]  # nothing of it is left in the bucket
    assert uploader.authed("get", f"/api/v1/media/{media_id}").json()["url"] is None


def test_a_document_is_encrypted_at_rest_and_readable_only_by_its_owner(uploader, s3_server, make_wallet) -> None:  # type: ignore[no-untyped-def]
    document = b"%PDF-1.4\nPASSPORT No X1234567 Ada Lovelace\n%%EOF"
    media_id = upload(uploader, kind="document", content_type="application/pdf", data=document)
    asset = settled(media_id)
    assert asset.status == MediaAsset.Status.CLEAN, asset.rejection_reason
    assert asset.stored_key.startswith("private/documents/")
    raw = s3_server.client().get_object(Bucket=BUCKET, Key=asset.stored_key)["Body"].read()
    assert b"X1234567" not in raw and b"%PDF" not in raw  # the store only ever held ciphertext at rest

    mine = uploader.authed("get", f"/api/v1/media/{media_id}/content")
    assert mine.status_code == 200 and mine.content == document
    assert mine["Cache-Control"] == "no-store"
    assert uploader.client.get(f"/api/v1/media/{media_id}/content").status_code == 401

    stranger = make_wallet()
    stranger.sign_up("stranger")
    assert stranger.authed("get", f"/api/v1/media/{media_id}/content").status_code == 404
    assert stranger.authed("get", f"/api/v1/media/{media_id}").status_code == 404
    assert stranger.authed("post", f"/api/v1/media/{media_id}/confirm").status_code == 404
    # No presigned URL is ever handed out for a document.
    assert uploader.authed("get", f"/api/v1/media/{media_id}").json()["url"] is None


def test_an_upload_of_a_type_not_allowed_is_refused_up_front(media_settings, make_wallet) -> None:  # type: ignore[no-untyped-def]
    wallet = make_wallet()
    wallet.sign_up("picky")
    refused = wallet.authed("post", "/api/v1/media/uploads", {"kind": "avatar", "content_type": "image/svg+xml"})
    assert refused.status_code == 400 and refused.json()["error"]["code"] == "upload_not_allowed"
    missing = wallet.authed("post", f"/api/v1/media/{uuid.uuid4()}/confirm")
    assert missing.status_code == 404


def test_the_presigned_post_is_bound_to_one_key_type_and_size(media_settings, make_wallet) -> None:  # type: ignore[no-untyped-def]
    import base64
    import json

    wallet = make_wallet()
    wallet.sign_up("policy")
    body = wallet.authed("post", "/api/v1/media/uploads", {"kind": "avatar", "content_type": "image/png"}).json()
    policy = json.loads(base64.b64decode(body["upload"]["fields"]["policy"]))
    conditions = policy["conditions"]
    assert {"key": f"incoming/{wallet.tokens['user']['id']}/{body['media']['id']}"} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", 1, MAX_IMAGE_BYTES] in conditions


def test_the_local_storage_of_make_run_takes_signed_uploads_and_checks_them(
    settings, tmp_path, make_wallet, client
) -> None:  # type: ignore[no-untyped-def]
    settings.MEDIA_STORAGE_BACKEND = "local"
    settings.MEDIA_ROOT = tmp_path
    settings.PUBLIC_BASE_URL = "http://testserver"
    settings.CLAMAV_ADDRESS = ""
    wallet = make_wallet()
    wallet.sign_up("local_dev")
    body = wallet.authed("post", "/api/v1/media/uploads", {"kind": "avatar", "content_type": "image/png"}).json()
    path = body["upload"]["url"].removeprefix("http://testserver")
    image = io.BytesIO()
    Image.new("RGB", (8, 8)).save(image, format="PNG")
    forged = client.post(path, {"token": body["upload"]["fields"]["token"] + "x", "file": io.BytesIO(b"x")})
    assert forged.status_code == 403
    posted = client.post(path, {**body["upload"]["fields"], "file": io.BytesIO(image.getvalue())})
    assert posted.status_code == 204

    from apps.social_profile.services.media import media_process

    MediaAsset.objects.filter(pk=body["media"]["id"]).update(status=MediaAsset.Status.PROCESSING)
    assert media_process(asset_id=body["media"]["id"]).status == MediaAsset.Status.CLEAN
    url = wallet.authed("get", f"/api/v1/media/{body['media']['id']}").json()["url"]
    served = client.get(url.removeprefix("http://testserver"))
    assert served.status_code == 200
    assert Image.open(io.BytesIO(b"".join(served.streaming_content))).size == (8, 8)
