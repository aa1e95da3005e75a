"""Real services for the social profile tests: an S3 API server (moto) and clamd with a local EICAR signature
database, both on loopback ports and stopped by these fixtures; a Celery worker on this app's own queue; and
helpers that register a platform and drive a person's browser through passkey login and consent."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import pytest
import requests

from tests.conftest import free_port, running_celery_worker, wait_for
from tests.support.authenticator import SoftAuthenticator

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
BUCKET = "lykos-test-media"
TASK_QUEUE = "lykos-test-social"
MAX_IMAGE_BYTES = 256 * 1024  # small, so the oversize test uploads little
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


# --- S3 (moto) ----------------------------------------------------------------------------------------


@dataclass
class S3Server:
    endpoint: str

    def client(self):  # type: ignore[no-untyped-def]
        import boto3
        from botocore.config import Config

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            config=Config(signature_version="s3v4", s3={"addressing_style": "path"}),
        )

    def object_keys(self) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=BUCKET)
        return [item["Key"] for item in listing.get("Contents", [])]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[S3Server]:
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        pytest.exit("moto is not installed: pip install -r requirements-dev.txt", 3)
    # Dummy credentials for boto3 (moto accepts any); the settings of the app read the same environment.
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    s3 = S3Server(endpoint=f"http://127.0.0.1:{port}")
    try:
        wait_for(lambda: requests.get(s3.endpoint, timeout=1).status_code < 500, timeout=10, what="moto S3 server")
        s3.client().create_bucket(Bucket=BUCKET)
        yield s3
    finally:
        server.stop()


# --- clamd --------------------------------------------------------------------------------------------


@dataclass
class Clamd:
    address: str
    process: subprocess.Popen


@pytest.fixture(scope="session")
def clamd_server() -> Iterator[Clamd]:
    if not Path(CLAMD).exists():
        pytest.exit("clamd is not installed: apt-get install -y clamav-daemon (make test installs it as root)", 3)
    workdir = Path(tempfile.mkdtemp(prefix="lykos-clamd-"))
    (workdir / "db").mkdir()
    # No signature download here: a one-line local database that knows the EICAR test file.
    (workdir / "db" / "eicar.ndb").write_text(f"Lykos.Test.EICAR:0:*:{EICAR.hex()}\n")
    port = free_port()
    conf = workdir / "clamd.conf"
    conf.write_text(
        "\n".join(
            [
                "Foreground yes",
                f"DatabaseDirectory {workdir / 'db'}",
                f"TCPSocket {port}",
                "TCPAddr 127.0.0.1",
                f"PidFile {workdir / 'clamd.pid'}",
                f"TemporaryDirectory {workdir}",
                "LogFile /dev/null",
                "StreamMaxLength 30M",
                "",
            ]
        )
    )
    process = subprocess.Popen([CLAMD, "-c", str(conf)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def pong() -> bool:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
            sock.sendall(b"zPING\0")
            return sock.recv(16).startswith(b"PONG")

    try:
        wait_for(pong, timeout=30, what="clamd")
        yield Clamd(address=f"127.0.0.1:{port}", process=process)
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def media_settings(settings, s3_server: S3Server, clamd_server: Clamd):  # type: ignore[no-untyped-def]
    settings.MEDIA_STORAGE_BACKEND = "s3"
    settings.MEDIA_S3_BUCKET = BUCKET
    settings.MEDIA_S3_ENDPOINT_URL = s3_server.endpoint
    settings.MEDIA_S3_REGION = "us-east-1"
    settings.CLAMAV_ADDRESS = clamd_server.address
    settings.SOCIAL_PROFILE_TASK_QUEUE = TASK_QUEUE
    settings.MEDIA_MAX_IMAGE_BYTES = MAX_IMAGE_BYTES
    return settings


@pytest.fixture(scope="session")
def social_worker(  # type: ignore[no-untyped-def]
    django_db_setup, django_db_blocker, vault_server, s3_server: S3Server, clamd_server: Clamd
) -> Iterator[subprocess.Popen]:
    """A Celery worker on this app's own queue, configured for the test S3 server and clamd."""
    extra_env = {
        "MEDIA_STORAGE_BACKEND": "s3",
        "MEDIA_S3_BUCKET": BUCKET,
        "MEDIA_S3_ENDPOINT_URL": s3_server.endpoint,
        "CLAMAV_ADDRESS": clamd_server.address,
        "SOCIAL_PROFILE_TASK_QUEUE": TASK_QUEUE,
        "MEDIA_MAX_IMAGE_BYTES": str(MAX_IMAGE_BYTES),
    }
    with running_celery_worker(vault_server=vault_server, queue=TASK_QUEUE, extra_env=extra_env) as process:
        yield process


# --- platforms and people -------------------------------------------------------------------------------


@dataclass
class Platform:
    client_id: str
    client_secret: str
    redirect_uri: str
    application: Any


@pytest.fixture
def make_platform(db):  # type: ignore[no-untyped-def]
    from oauth2_provider.models import get_application_model

    from apps.social_profile.models import PlatformRules

    def make(
        *,
        redirect_uri: str = "http://localhost:9/callback",
        scopes: str = "openid profile email phone wallet badges",
        origins: str = "",
        rate_limit: str = "",
        name: str = "Example Platform",
    ) -> Platform:
        application_model = get_application_model()
        secret = secrets.token_urlsafe(32)
        application = application_model.objects.create(
            name=name,
            client_type=application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
            redirect_uris=redirect_uri,
            allowed_origins=origins,
            client_secret=secret,
            algorithm=application_model.RS256_ALGORITHM,
        )
        PlatformRules.objects.create(application=application, allowed_scopes=scopes, rate_limit=rate_limit)
        return Platform(application.client_id, secret, redirect_uri, application)

    return make


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.checkboxes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        elif tag == "input" and self.inside:
            if attributes.get("type") == "checkbox":
                self.checkboxes.append(attributes.get("value", ""))
            elif attributes.get("name"):
                self.fields.append((attributes["name"], attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


@dataclass
class Person:
    """Someone with a passkey and a browser (a requests session that keeps cookies and does not follow
    redirects, so each hop of the OAuth dance can be looked at)."""

    origin: str
    authenticator: SoftAuthenticator
    browser: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, Any] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens['access_token']}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.origin}{path}", headers=headers, timeout=20, **kwargs)

    def sign_up(self, username: str) -> dict[str, Any]:
        begun = requests.post(f"{self.origin}/api/v1/auth/register/options", json={"username": username}, timeout=20)
        assert begun.status_code == 200, begun.text
        credential = self.authenticator.create(begun.json()["publicKey"])
        done = requests.post(
            f"{self.origin}/api/v1/auth/register/verify",
            json={"ceremony_id": begun.json()["ceremony_id"], "credential": credential, "device_name": "Phone"},
            timeout=20,
        )
        assert done.status_code == 201, done.text
        self.tokens = done.json()
        return self.tokens

    def get(self, url: str) -> requests.Response:
        return self.browser.get(urljoin(self.origin, url), allow_redirects=False, timeout=20)

    def passkey_login_for(self, login_url: str) -> str:
        """What the login page's script does: passkey login, then open a browser session, then follow next."""
        page = self.get(login_url)
        assert page.status_code == 200, page.text
        next_url = re.search(r'data-next="([^"]*)"', page.text).group(1).replace("&amp;", "&")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        begun = self.browser.post(f"{self.origin}/api/v1/auth/login/options", json={}, timeout=20).json()
        credential = self.authenticator.get(begun["publicKey"])
        tokens = self.browser.post(
            f"{self.origin}/api/v1/auth/login/verify",
            json={"ceremony_id": begun["ceremony_id"], "credential": credential},
            timeout=20,
        )
        assert tokens.status_code == 200, tokens.text
        self.tokens = tokens.json()
        opened = self.browser.post(
            f"{self.origin}/api/v1/oauth/session",
            headers={
                "Authorization": f"Bearer {self.tokens['access_token']}",
                "X-CSRFToken": csrf,
                "Referer": f"{self.origin}/login",
                "Origin": self.origin,
            },
            timeout=20,
        )
        assert opened.status_code == 200, opened.text
        return next_url

    def consent_form(self, authorize_url: str) -> tuple[list[tuple[str, str]], list[str]]:
        page = self.get(authorize_url)
        assert page.status_code == 200, (page.status_code, page.headers.get("Location"), page.text[:500])
        parser = _FormParser("consent-form")
        parser.feed(page.text)
        return parser.fields, parser.checkboxes

    def consent(self, authorize_url: str, *, untick: set[str] = frozenset(), allow: bool = True) -> str:
        """Answer the consent page; return where the browser is sent (the platform's redirect)."""
        fields, checkboxes = self.consent_form(authorize_url)
        data = [*fields, *(("scope_choice", s) for s in checkboxes if s not in untick)]
        if allow:
            data.append(("allow", "true"))
        response = self.browser.post(
            urljoin(self.origin, authorize_url.split("?")[0]),
            data=data,
            headers={"Referer": urljoin(self.origin, authorize_url), "Origin": self.origin},
            allow_redirects=False,
            timeout=20,
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response.headers["Location"]


@pytest.fixture
def make_person(live_origin):  # type: ignore[no-untyped-def]
    return lambda: Person(origin=live_origin, authenticator=SoftAuthenticator(origin=live_origin))
