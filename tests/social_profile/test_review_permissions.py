"""Issue 16, acceptance 6 (identity reviews): deciding a review needs `social_profile.review_identity`; opening its
document needs `social_profile.view_identity_document` and a reason, which the audit row keeps with the reviewer.
Support staff (view only) are refused with 403; unknown review ids answer 404, never 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from apps.identity.models import User
from apps.social_profile.adapters.storage import get_media_storage
from apps.social_profile.models import Badge, IdentityReview, MediaAsset
from apps.social_profile.services.media import media_process
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_values
from tests.support.staff import admin_client_for, staff_member

pytestmark = pytest.mark.django_db
PASSPORT = b"%PDF-1.4\nPASSPORT No X7654321 Grace Hopper\n%%EOF"
REVIEWS = "/admin/social_profile/identityreview/"


@pytest.fixture
def review(wallet) -> IdentityReview:  # type: ignore[no-untyped-def]
    """A user's identity document, stored the way the upload pipeline stores it (checked, encrypted), under review."""
    wallet.sign_up("reviewed_person")
    owner = User.objects.get(username="reviewed_person")
    asset = MediaAsset.objects.create(
        owner=owner,
        kind="document",
        status="processing",
        declared_content_type="application/pdf",
        incoming_key=f"incoming/{owner.pk}/passport",
    )
    get_media_storage().write(asset.incoming_key, PASSPORT, content_type="application/pdf")
    assert media_process(asset_id=asset.pk).status == "clean"
    requested = wallet.authed("post", "/api/v1/verification/identity", {"document_id": str(asset.pk)})
    assert requested.status_code == 201, requested.content
    return IdentityReview.objects.get(user=owner)


def document_url(review_id: int) -> str:
    return reverse("admin:social_profile_review_document", args=[review_id])


def test_support_sees_reviews_but_cannot_decide_or_open_a_document(review) -> None:  # type: ignore[no-untyped-def]
    staff = staff_member("support_reviews", "Support (read-only)")
    support = admin_client_for(staff)
    assert support.get(REVIEWS).status_code == 200
    for action in ("approve", "reject"):
        refused = support.post(REVIEWS, {"action": action, "_selected_action": [review.pk]})
        assert refused.status_code == 403, action
    assert support.get(document_url(review.pk)).status_code == 403
    assert support.post(document_url(review.pk), {"reason": "curious"}).status_code == 403
    review.refresh_from_db()
    assert review.status == "pending" and not Badge.objects.filter(kind="identity").exists()
    assert not AuditEvent.objects.filter(actor_id=str(staff.pk)).exists()


def test_a_fraud_reviewer_opens_the_document_with_a_reason_and_decides(review) -> None:  # type: ignore[no-untyped-def]
    reviewer = staff_member("document_reviewer", "Fraud reviewer")
    client = admin_client_for(reviewer)

    asked = client.get(document_url(review.pk))
    assert asked.status_code == 200 and b'name="reason"' in asked.content and b"PASSPORT" not in asked.content
    no_reason = client.post(document_url(review.pk), {"reason": "  "})
    assert no_reason.status_code == 200 and b"PASSPORT" not in no_reason.content
    assert not AuditEvent.objects.filter(event_type="media.document_viewed").exists()

    opened = client.post(document_url(review.pk), {"reason": "ticket 4711: name check"})
    assert opened.status_code == 200 and opened.content == PASSPORT
    assert "no-store" in opened["Cache-Control"]
    viewed = AuditEvent.objects.get(event_type="media.document_viewed")
    assert viewed.actor_id == str(reviewer.pk)
    _, values = audit_values(viewed)  # sealed under the document owner's key (lykos.audit.services)
    assert values is not None and values["reason"] == "ticket 4711: name check"
    assert values["review"] == review.pk

    assert client.post(REVIEWS, {"action": "approve", "_selected_action": [review.pk]}).status_code == 302
    review.refresh_from_db()
    assert review.status == "approved" and review.reviewer == reviewer
    assert Badge.objects.filter(user=review.user, kind="identity").exists()
    assert AuditEvent.objects.filter(event_type="identity_review.approved", actor_id=str(reviewer.pk)).exists()


def test_unknown_review_ids_answer_404(review) -> None:  # type: ignore[no-untyped-def]
    client = admin_client_for(staff_member("walker", "Fraud reviewer"))
    for missing in (review.pk + 1000, 987654321):
        assert client.get(document_url(missing)).status_code == 404
        assert client.post(document_url(missing), {"reason": "walking ids"}).status_code == 404
    assert not AuditEvent.objects.filter(event_type="media.document_viewed").exists()
