"""The media side of the social profile tests: an S3 API server (moto) and clamd with a local EICAR signature
database, both on loopback ports; the constants the tests and the worker share."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from typing import Any

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
BUCKET = "lykos-test-media"
TASK_QUEUE = "lykos-test-social"
MAX_IMAGE_BYTES = 256 * 1024  # small, so the oversize test uploads little
CLAMD = shutil.which("clamd") or "/usr/sbin/clamd"


@dataclass
class S3Server:
    endpoint: str

    def client(self) -> Any:
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


@dataclass
class Clamd:
    address: str
    process: subprocess.Popen
