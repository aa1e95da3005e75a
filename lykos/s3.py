"""The one way this project builds an S3 client (media uploads, the audit anchor): path-style addressing for
S3-compatible servers, SigV4, bounded timeouts and standard retries, so an S3 outage fails fast everywhere."""

from __future__ import annotations

from typing import Any


def s3_client(*, region: str, endpoint_url: str | None = None, read_timeout: int = 30) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client(
        "s3",
        region_name=region,
        endpoint_url=endpoint_url or None,
        config=Config(
            signature_version="s3v4",
            s3={"addressing_style": "path"},
            connect_timeout=5,
            read_timeout=read_timeout,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    )
