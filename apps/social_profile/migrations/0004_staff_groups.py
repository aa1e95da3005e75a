"""Give the staff groups the security app seeded their identity-review permissions.

Fraud reviewers decide reviews and may open documents (each opening audited with a reason); support staff see
reviews, badges and uploads but never a document.
"""

from django.db import migrations

from lykos.permissions import groups_grant, groups_revoke

READ = [
    ("social_profile", "identityreview", "view_identityreview"),
    ("social_profile", "badge", "view_badge"),
    ("social_profile", "mediaasset", "view_mediaasset"),
]
GRANTS = {
    "Fraud reviewer": [
        *READ,
        ("social_profile", "identityreview", "review_identity"),
        ("social_profile", "identityreview", "view_identity_document"),
    ],
    "Support (read-only)": [*READ, ("social_profile", "consentgrant", "view_consentgrant")],
}


def seed(apps, schema_editor):  # type: ignore[no-untyped-def]
    groups_grant(apps, GRANTS)


def unseed(apps, schema_editor):  # type: ignore[no-untyped-def]
    groups_revoke(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [
        ("social_profile", "0003_review_permissions"),
        ("security", "0004_staff_groups"),
    ]

    operations = [migrations.RunPython(seed, unseed)]
