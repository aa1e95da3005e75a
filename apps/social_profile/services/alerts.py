"""Security alerts to a user's verified channels: a passkey was added to the account.

A bearer token proves a session, not a person; even behind a step-up, the owner must notice a device they did
not add. Identity announces `device_added` after the add commits; this app owns the verified email and phone
and the SMS adapter, so it tells the owner. Like verification codes, alerts are sent from the request once it
has committed (the test outboxes see them); a channel that fails is logged and does not stop the others or the
device add, which has already happened.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.mail import send_mail

from apps.social_profile.adapters.sms import SmsError, get_sms_sender
from apps.social_profile.audit import SocialProfileAuditEvent
from apps.social_profile.models import ContactChannel
from lykos.audit.services import audit_record
from lykos.geo import approximate_location

if TYPE_CHECKING:
    from apps.identity.models import Passkey

logger = logging.getLogger(__name__)

UNKNOWN_AGENT = "an unknown browser or app"


def _new_device_text(*, passkey: Passkey, location: str, user_agent: str) -> tuple[str, str]:
    """The email body and the (short) SMS body, naming the device, when, from what and from where."""
    when = f"{passkey.created_at:%Y-%m-%d %H:%M} UTC"
    name = passkey.name or "Passkey"
    agent = (user_agent or UNKNOWN_AGENT)[:256]
    email = (
        f'A new passkey, "{name}", was added to your LyKos account.\n\n'
        f"When: {when}\n"
        f"Device (user agent): {agent}\n"
        f"Approximate location: {location}\n\n"
        "If this was you, there is nothing to do. If it was not, open Devices in the app, revoke it, and log out "
        "everywhere: whoever added it can otherwise use your wallet.\n"
    )
    sms = f'LyKos: new passkey "{name}" added {when} near {location}. Not you? Revoke it in Devices now.'
    return email, sms


def new_device_alert_send(*, passkey: Passkey, ip_address: str | None, user_agent: str) -> list[str]:
    """Tell every verified channel of the passkey's owner that it was added; the kinds of channel reached."""
    channels = list(ContactChannel.objects.filter(user_id=passkey.user_id, verified_at__isnull=False))
    if not channels:
        return []
    email_body, sms_body = _new_device_text(
        passkey=passkey, location=approximate_location(ip_address), user_agent=user_agent
    )
    reached: list[str] = []
    for channel in channels:
        try:
            if channel.kind == ContactChannel.Kind.EMAIL:
                send_mail(
                    "A new passkey was added to your account", email_body, settings.DEFAULT_FROM_EMAIL, [channel.value]
                )
            else:
                get_sms_sender().send(to=channel.value, body=sms_body)
        except (SmsError, OSError):  # SMTP and SMS failures alike: the other channels still hear of it
            logger.exception("new-device alert not delivered", extra={"channel": channel.kind})
            continue
        reached.append(channel.kind)
    audit_record(
        event_type=SocialProfileAuditEvent.ALERT_NEW_DEVICE_SENT,
        actor_type="system",
        subject=passkey,
        new_values={"channels": reached},
    )
    return reached
