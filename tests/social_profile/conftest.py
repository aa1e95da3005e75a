"""Real services for the social profile tests: the S3 API server and clamd (tests/support/media.py), started and
stopped here; a Celery worker on this app's own queue; platforms and people (tests/support/oauth.py)."""

from __future__ import annotations

import secrets
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.authenticator import SoftAuthenticator
from tests.support.media import BUCKET, CLAMD, EICAR, MAX_IMAGE_BYTES, TASK_QUEUE, Clamd, S3Server
from tests.support.oauth import Person, Platform
from tests.support.servers import free_port, running_celery_worker, wait_for

# The S3 server (moto) is the suite's own: tests/support/s3.py.


# --- clamd --------------------------------------------------------------------------------------------


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
        wait_for(pong, timeout=120, what="clamd")  # clamd loads its engine slowly on a busy machine
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


@pytest.fixture
def make_person(live_origin):  # type: ignore[no-untyped-def]
    return lambda: Person(origin=live_origin, authenticator=SoftAuthenticator(origin=live_origin))
