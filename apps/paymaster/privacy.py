"""What the paymaster holds about a person (lykos.privacy)."""

from lykos.privacy import Declaration, Erasure, NotPersonal, PersonalData

PRIVACY: list[Declaration] = [
    NotPersonal("paymaster.SponsorshipPolicy", "Sponsorship rules set by staff."),
    NotPersonal("paymaster.PaymasterApiKey", "Integrators' API keys (hashed)."),
    NotPersonal("paymaster.PaymasterApiKey_policies", "API key to policy links."),
    PersonalData(
        "paymaster.Transaction",
        owner="user",
        erasure=Erasure.KEEP,
        export=(
            "id",
            "chain",
            "purpose",
            "status",
            "intent",
            "user_op_hash",
            "sponsored",
            "tx_hash",
            "success",
            "created_at",
            "finished_at",
        ),
        reason="A ledger of operations that are public on-chain (addresses, calldata, hashes); sponsorship and"
        " rewards settle against it. It stays, linked only to the anonymised user.",
    ),
    PersonalData(
        "paymaster.SponsorshipLedgerEntry",
        owner="user",
        erasure=Erasure.KEEP,
        export=("chain", "status", "reserved_wei", "settled_wei", "created_at", "closed_at"),
        reason="The sponsorship budget ledger: amounts and on-chain hashes.",
    ),
]
