"""The audit event registry: every app declares its types once, `audit_record` refuses anything else, and what a
flow leaves in the log is what the apps declared."""

from __future__ import annotations

import pytest

from apps.chain.audit import ChainAuditEvent
from apps.identity.audit import IdentityAuditEvent
from apps.paymaster.audit import PaymasterAuditEvent
from apps.security.audit import SecurityAuditEvent
from apps.security.services import known_address_upsert, threat_entry_upsert
from apps.social_profile.audit import SocialProfileAuditEvent
from lykos.audit import events
from lykos.audit.events import AuditEventType, audit_event_classes, audit_event_types
from lykos.audit.models import AuditEvent
from lykos.audit.services import audit_record
from tests.support.security import fresh_eoa
from tests.testapp.audit import PlumbingAuditEvent


class UndeclaredAuditEvent(AuditEventType):
    """A subclass outside any app's audit module: not in the registry."""

    ROGUE = "rogue.event", "Declared where no one lists it"


APP_TYPES = [
    ChainAuditEvent,
    IdentityAuditEvent,
    PaymasterAuditEvent,
    SecurityAuditEvent,
    SocialProfileAuditEvent,
    PlumbingAuditEvent,
]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "event_type",
    ["user.registered", f"identity_review.{'approved'}", str(IdentityAuditEvent.USER_REGISTERED), None, 1],
    ids=["the declared value as a string", "an f-string", "a member turned into a string", "None", "an int"],
)
def test_anything_but_a_member_is_refused_before_a_row_is_written(event_type: object) -> None:
    with pytest.raises(TypeError, match="AuditEventType"):
        audit_record(event_type=event_type)  # type: ignore[arg-type]  # the refusal is the point
    assert not AuditEvent.objects.exists()


@pytest.mark.django_db
def test_a_member_of_a_class_outside_the_apps_audit_modules_is_refused() -> None:
    with pytest.raises(ValueError, match="not declared"):
        audit_record(event_type=UndeclaredAuditEvent.ROGUE)
    assert not AuditEvent.objects.exists()
    assert audit_record(event_type=PlumbingAuditEvent.NOTE_CREATED).event_type == "note.created"


def test_the_registry_lists_every_apps_types_once() -> None:
    assert set(audit_event_classes()) == set(APP_TYPES)
    declared = audit_event_types()
    members = [member for cls in APP_TYPES for member in cls]
    assert len(declared) == len(members)  # no value declared by two classes
    assert {member.value: str(member.label) for member in members} == declared
    assert "rogue.event" not in declared
    assert declared["identity_review.approved"] == "Staff approved an identity review"


def test_a_value_declared_twice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    class Twin(AuditEventType):
        USER_REGISTERED = "user.registered", "Someone else's sign-up"

    monkeypatch.setattr(events, "audit_event_classes", lambda: (IdentityAuditEvent, Twin))
    with pytest.raises(ValueError, match=r"'user\.registered' is declared twice"):
        audit_event_types()


@pytest.mark.django_db
def test_every_event_a_flow_leaves_in_the_log_is_declared(wallet) -> None:  # type: ignore[no-untyped-def]
    """Sign up, edit both profiles, open and end a session, and curate the security lists: each app's services
    write their events, and every type found in the table is one the registry lists."""
    wallet.sign_up("audited")
    assert wallet.authed("patch", "/api/v1/me", {"display_name": "Audited"}).status_code == 200
    assert wallet.authed("patch", "/api/v1/profile", {"bio": "Hello"}).status_code == 200
    assert wallet.login().status_code == 200
    assert wallet.authed("post", "/api/v1/auth/logout").status_code in (200, 204)
    address = fresh_eoa()
    threat_entry_upsert(address=address, category="scam", source="test")
    threat_entry_upsert(address=address, category="drainer", source="test")
    known_address_upsert(address=fresh_eoa(), label="A router")

    recorded = set(AuditEvent.objects.values_list("event_type", flat=True))
    assert {
        "user.registered",
        "device.added",
        "session.created",
        "session.revoked",
        "profile.updated",
        "profile.social_updated",
        "security.threat_created",
        "security.threat_updated",
        "security.known_address_saved",
    } <= recorded
    assert recorded <= set(audit_event_types())
