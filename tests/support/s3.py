"""The S3 API server of the suite (moto on a loopback port), shared by media storage and the audit anchor."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import requests

from tests.support.media import BUCKET, S3Server
from tests.support.servers import free_port, wait_for


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
