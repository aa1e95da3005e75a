"""What identity holds about a person, what their export shows and what erasure does (lykos.privacy).

Erasure: `services.user_erase` (identity's own rows, after every app's `user_erasing` receiver)."""

from lykos.privacy import Declaration, Erasure, PersonalData

PRIVACY: list[Declaration] = [
    PersonalData(
        "identity.User",
        owner="self",
        erasure=Erasure.ANONYMISE,
        export=("id", "username", "display_name", "date_joined", "referral_code", "is_active"),
        anonymised=("username", "display_name"),
        reason="The row stays (ledgers point at it), deactivated, with no name left; `referred_by` names another"
        " person and is not exported.",
    ),
    PersonalData("identity.User_groups", owner="user", erasure=Erasure.DELETE, export=(), reason="Staff groups."),
    PersonalData(
        "identity.User_user_permissions", owner="user", erasure=Erasure.DELETE, export=(), reason="Staff rights."
    ),
    PersonalData(
        "identity.Passkey",
        owner="user",
        erasure=Erasure.ANONYMISE,
        export=("id", "name", "status", "aaguid", "transports", "created_at", "last_used_at", "revoked_at"),
        anonymised=("name",),
        reason="Revoked and nameless; public keys stay (on-chain owners of the account anyway).",
    ),
    PersonalData(
        "identity.Session",
        owner="user",
        erasure=Erasure.ANONYMISE,
        export=("id", "device", "created_at", "last_seen_at", "ip_address", "user_agent", "revoked_at"),
        anonymised=("ip_address", "user_agent"),
        reason="Revoked; the IP address is sealed under the owner's key as well.",
    ),
    PersonalData(
        "identity.RefreshToken",
        owner="session__user",
        erasure=Erasure.DELETE,
        export=(),
        reason="Hashes of secrets, not the person's data.",
    ),
    PersonalData(
        "identity.RewardEntry",
        owner="user",
        erasure=Erasure.KEEP,
        export=("kind", "points", "created_at"),
        reason="Points ledger; `reference` names the other side of a referral, so it is not exported.",
    ),
    PersonalData(
        "identity.SecurityEvent",
        owner="user",
        erasure=Erasure.DELETE,
        export=("kind", "created_at"),
        reason="Signals for the fraud queue; details are sign counts and device ids.",
    ),
]
