"""Settings of the privacy plumbing: audit head anchoring and the per-user keys behind crypto-shredding.

Star-imported at the end of `lykos.settings.base`, so every environment has them and each is defined once.
Every variable is in the README's table.
"""

from pathlib import Path

from .environment import env

_BASE_DIR = Path(__file__).resolve().parent.parent.parent

# Audit head anchoring (lykos/audit/anchor.py): "" (off), "s3" (an Object Lock bucket), "file" (make run only;
# production refuses it). The interval is the window in which cutting off the newest audit rows goes unnoticed.
AUDIT_ANCHOR_BACKEND = env.str("AUDIT_ANCHOR_BACKEND", default="")
AUDIT_ANCHOR_S3_BUCKET = env.str("AUDIT_ANCHOR_S3_BUCKET", default="")
AUDIT_ANCHOR_S3_PREFIX = env.str("AUDIT_ANCHOR_S3_PREFIX", default="audit-anchors")
AUDIT_ANCHOR_S3_ENDPOINT_URL = env.str("AUDIT_ANCHOR_S3_ENDPOINT_URL", default="")  # empty: AWS itself
AUDIT_ANCHOR_S3_REGION = env.str("AUDIT_ANCHOR_S3_REGION", default="us-east-1")
AUDIT_ANCHOR_RETENTION_DAYS = env.int("AUDIT_ANCHOR_RETENTION_DAYS", default=400)
AUDIT_ANCHOR_FILE = env.path("AUDIT_ANCHOR_FILE", default=_BASE_DIR / ".lykos" / "audit-anchors.jsonl")
# The publishing interval, AUDIT_ANCHOR_INTERVAL_SECONDS (default 300), is read by base.py's beat schedule.
