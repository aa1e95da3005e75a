"""What G0 holds about a person, and what erasure does to it (lykos.privacy; erasure: `services.security_data_erase`,
connected to identity's `user_erasing`)."""

from lykos.privacy import Declaration, Erasure, NotPersonal, PersonalData

PRIVACY: list[Declaration] = [
    NotPersonal("security.ThreatListEntry", "Addresses of known scams and sanctions lists."),
    NotPersonal("security.KnownAddress", "Well-known contracts (routers, bridges), labelled by staff."),
    PersonalData(
        "security.Counterparty",
        owner="user",
        erasure=Erasure.DELETE,
        export=("address", "source", "interactions", "first_seen_at", "last_seen_at"),
    ),
    PersonalData(
        "security.TransactionSimulation",
        owner="user",
        erasure=Erasure.DELETE,
        export=("id", "chain", "kind", "status", "action", "score", "warnings", "created_at"),
        reason="What the person was about to sign; deleted with its feedback and case links.",
    ),
    PersonalData(
        "security.ScanFeedback",
        owner="user",
        erasure=Erasure.DELETE,
        export=("simulation", "decision", "note", "created_at"),
    ),
    PersonalData(
        "security.ReviewCase",
        owner="user",
        erasure=Erasure.ANONYMISE,
        export=("id", "status", "priority", "open_reason", "opened_at", "closed_at"),
        anonymised=("summary", "linked"),
        reason="The fraud record stays (status, reason code, times), without reviewers' free text or links; the"
        " person sees their own cases, never the reviewers or other people's cases.",
    ),
    PersonalData("security.ReviewCase_simulations", owner="reviewcase__user", erasure=Erasure.DELETE, export=()),
    PersonalData("security.ReviewCase_devices", owner="reviewcase__user", erasure=Erasure.DELETE, export=()),
    PersonalData(
        "security.ReviewCaseEvent",
        owner="case__user",
        erasure=Erasure.ANONYMISE,
        export=(),
        anonymised=("message", "data"),
        reason="Reviewers' work log: not exported; messages and data are blanked at erasure.",
    ),
    PersonalData(
        "security.AccountFreeze",
        owner="user",
        erasure=Erasure.ANONYMISE,
        export=("frozen_at", "lifted_at"),
        anonymised=("reason",),
        reason="A freeze stays on record (the account stays blocked from sponsorship), without the free text.",
    ),
]
