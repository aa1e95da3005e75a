"""Verification of email, phone and identity, and the badges they yield.

Codes are 6 digits, stored only as a keyed hash (HMAC under the blind-index pepper, salted with the code's
id), single use, expiring, and limited in attempts per code and per destination; sending is limited per user,
per IP and per destination.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.social_profile.adapters.sms import SmsError, get_sms_sender
from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.errors import (
    ChannelTaken,
    DocumentReviewPending,
    VerificationExhausted,
    VerificationInvalid,
)
from apps.social_profile.models import Badge, ContactChannel, IdentityReview, MediaAsset, VerificationCode
from lykos.audit.services import audit_record
from lykos.crypto import blind_index, blind_index_candidates
from lykos.errors import Forbidden, InvalidRequest, NotFound
from lykos.ratelimit import ratelimit_hit

if TYPE_CHECKING:
    from apps.identity.models import User

logger = logging.getLogger(__name__)
PHONE_RE = re.compile(r"^\+[1-9]\d{6,14}$")
METHODS = {
    ("email", "code"): Badge.Method.EMAIL_CODE,
    ("email", "link"): Badge.Method.EMAIL_LINK,
    ("phone", "code"): Badge.Method.SMS_OTP,
}


def contact_normalize(*, kind: str, value: str) -> str:
    value = (value or "").strip()
    if kind == ContactChannel.Kind.EMAIL:
        value = value.lower()
        try:
            validate_email(value)
        except ValidationError as exc:
            raise InvalidRequest("Not an email address.", details={"fields": {"email": ["invalid"]}}) from exc
        return value
    digits = re.sub(r"[\s().-]", "", value)
    if not PHONE_RE.match(digits):
        raise InvalidRequest(
            "A phone number in international format, e.g. +14155550123.", details={"fields": {"phone": ["invalid"]}}
        )
    return digits


def _index(kind: str, value: str) -> str:
    return blind_index(value, purpose=f"contact:{kind}")


def _destination_key(channel: ContactChannel) -> str:
    """The address's index under the newest pepper, whichever version the channel row is stored under."""
    return blind_index_candidates(channel.value, purpose=f"contact:{channel.kind}")[-1]


def _code_matches(code_id: uuid.UUID, code: str, stored: str) -> bool:
    return any(hmac.compare_digest(c, stored) for c in blind_index_candidates(code, purpose=f"otp:{code_id}"))


def verification_start(*, user: User, kind: str, value: str) -> VerificationCode:
    """Send a code (and, for email, a link) to a new or existing address of the user."""
    normalized = contact_normalize(kind=kind, value=value)
    candidates = blind_index_candidates(normalized, purpose=f"contact:{kind}")
    # Per destination too: spreading requests over accounts must not flood one phone or inbox.
    ratelimit_hit(scope="otp", key=f"otp-target:{candidates[-1]}")
    if (
        ContactChannel.objects.filter(kind=kind, value_index__in=candidates, verified_at__isnull=False)
        .exclude(user=user)
        .exists()
    ):
        raise ChannelTaken()
    code = f"{secrets.randbelow(10**6):06d}"
    link_token = secrets.token_urlsafe(32) if kind == ContactChannel.Kind.EMAIL else ""
    with transaction.atomic():
        channel = ContactChannel.objects.select_for_update().filter(user=user, kind=kind).first()
        if channel is None:
            channel = ContactChannel(user=user, kind=kind)
        if channel.value_index not in candidates:
            # A new address is unverified until proven, and its badge ends.
            channel.value = normalized
            channel.value_index = _index(kind, normalized)
            if channel.verified_at is not None:
                Badge.objects.filter(user=user, kind=kind, revoked_at__isnull=True).update(revoked_at=timezone.now())
            channel.verified_at = None
            channel.save()
        VerificationCode.objects.filter(channel=channel, consumed_at__isnull=True).update(consumed_at=timezone.now())
        challenge = VerificationCode(
            id=uuid.uuid4(),
            channel=channel,
            expires_at=timezone.now() + timedelta(seconds=settings.VERIFICATION_CODE_TTL_SECONDS),
            max_attempts=settings.VERIFICATION_MAX_ATTEMPTS,
            link_token_hash=hashlib.sha256(link_token.encode()).hexdigest() if link_token else "",
        )
        challenge.code_hash = blind_index(code, purpose=f"otp:{challenge.id}")
        challenge.save(force_insert=True)
        transaction.on_commit(lambda: _deliver(kind=kind, to=normalized, code=code, link_token=link_token))
    return challenge


def _deliver(*, kind: str, to: str, code: str, link_token: str) -> None:
    minutes = settings.VERIFICATION_CODE_TTL_SECONDS // 60
    if kind == ContactChannel.Kind.EMAIL:
        link = f"{settings.PUBLIC_BASE_URL}/verify-email#{link_token}"
        send_mail(
            "Your LyKos verification code",
            f"Your code is {code}. It expires in {minutes} minutes.\n\nOr open this link: {link}\n",
            settings.DEFAULT_FROM_EMAIL,
            [to],
        )
        return
    try:
        get_sms_sender().send(to=to, body=f"LyKos code: {code} (expires in {minutes} min)")
    except SmsError:
        logger.exception("verification SMS not sent")


def _verify(challenge: VerificationCode, *, method: str) -> Badge:
    """Mark the channel verified and grant its badge. Call inside a transaction holding the code's lock."""
    now = timezone.now()
    channel = ContactChannel.objects.select_for_update().get(pk=challenge.channel_id)
    challenge.consumed_at = now
    challenge.save(update_fields=["consumed_at", "attempts"])
    channel.verified_at = now
    try:
        with transaction.atomic():
            channel.save(update_fields=["verified_at"])
    except IntegrityError as exc:  # another account verified the same address meanwhile
        raise ChannelTaken() from exc
    return badge_grant(user=channel.user, kind=channel.kind, method=METHODS[(channel.kind, method)])


def verification_confirm(*, user: User, challenge_id: uuid.UUID, code: str) -> Badge:
    outcome: Badge | None = None
    with transaction.atomic():
        challenge = (
            VerificationCode.objects.select_for_update(of=("self",))
            .select_related("channel")
            .filter(pk=challenge_id, channel__user=user)
            .first()
        )
        if challenge is None or challenge.consumed_at is not None or challenge.expires_at <= timezone.now():
            raise VerificationInvalid()
        if challenge.attempts >= challenge.max_attempts:
            raise VerificationExhausted()
        # Attempts per code and per account are not enough: many accounts, each with its own code for the same
        # address, could guess at it in parallel. Every guess also counts against the destination (429 once
        # spent, nothing written). The price: guesses at a victim's address can hold up the victim's own code
        # for the rest of the window.
        ratelimit_hit(scope="otp_destination", key=f"otp-guess:{_destination_key(challenge.channel)}")
        challenge.attempts += 1
        if _code_matches(challenge.id, (code or "").strip(), challenge.code_hash):
            outcome = _verify(challenge, method="code")
        else:
            challenge.save(update_fields=["attempts"])  # the failed attempt is committed, then refused
    if outcome is None:
        raise VerificationInvalid(details={"attempts_left": challenge.max_attempts - challenge.attempts})
    return outcome


@transaction.atomic
def verification_confirm_link(*, token: str) -> Badge:
    token_hash = hashlib.sha256((token or "").encode()).hexdigest()
    challenge = VerificationCode.objects.select_for_update().filter(link_token_hash=token_hash).first()
    if not token or challenge is None or challenge.consumed_at is not None or challenge.expires_at <= timezone.now():
        raise VerificationInvalid()
    return _verify(challenge, method="link")


@transaction.atomic
def badge_grant(*, user: User, kind: str, method: str, actor: User | None = None) -> Badge:
    now = timezone.now()
    Badge.objects.filter(user=user, kind=kind, revoked_at__isnull=True).update(revoked_at=now)
    badge = Badge.objects.create(
        user=user,
        kind=kind,
        method=method,
        verified_at=now,
        expires_at=now + timedelta(days=settings.VERIFICATION_BADGE_DAYS),
    )
    audit_record(
        event_type=SocialProfileAuditEvent.BADGE_GRANTED,
        actor=actor or user,
        subject=badge,
        new_values={"user": str(user.pk), "kind": kind, "method": method},
    )
    return badge


@transaction.atomic
def identity_review_request(*, user: User, document_id: uuid.UUID) -> IdentityReview:
    document = MediaAsset.objects.filter(
        owner=user, pk=document_id, kind=MediaAsset.Kind.DOCUMENT, status=MediaAsset.Status.CLEAN
    ).first()
    if document is None:
        raise NotFound("No such checked document.")
    try:
        with transaction.atomic():
            review = IdentityReview.objects.create(user=user, document=document)
    except IntegrityError as exc:
        raise DocumentReviewPending() from exc
    audit_record(
        event_type=SocialProfileAuditEvent.IDENTITY_REVIEW_REQUESTED, actor=user, subject=review, new_values={}
    )
    return review


@transaction.atomic
def identity_review_decide(*, reviewer: User, review_id: int, approve: bool, note: str = "") -> IdentityReview:
    if not (getattr(reviewer, "is_staff", False) and reviewer.has_perm("social_profile.review_identity")):
        raise Forbidden("Deciding identity reviews needs the review_identity permission.")
    review = IdentityReview.objects.select_for_update().select_related("user").filter(pk=review_id).first()
    if review is None:
        raise NotFound("No such review.")
    if review.status != IdentityReview.Status.PENDING:
        return review
    review.status = IdentityReview.Status.APPROVED if approve else IdentityReview.Status.REJECTED
    review.reviewer = reviewer
    review.reviewed_at = timezone.now()
    review.note = note[:200]
    review.save(update_fields=["status", "reviewer", "reviewed_at", "note"])
    audit_record(
        event_type=(
            SocialProfileAuditEvent.IDENTITY_REVIEW_APPROVED
            if approve
            else SocialProfileAuditEvent.IDENTITY_REVIEW_REJECTED
        ),
        actor=reviewer,
        subject=review,
        old_values={"status": IdentityReview.Status.PENDING},
        new_values={"status": review.status},
    )
    if approve:
        badge_grant(user=review.user, kind=Badge.Kind.IDENTITY, method=Badge.Method.DOCUMENT_REVIEW, actor=reviewer)
    return review
