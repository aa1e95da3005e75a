"""What the chain app holds about a person (lykos.privacy)."""

from lykos.privacy import Declaration, Erasure, NotPersonal, PersonalData

PRIVACY: list[Declaration] = [
    NotPersonal("chain.Chain", "Chain registry."),
    NotPersonal("chain.Token", "Token registry."),
    PersonalData(
        "chain.Account",
        owner="user",
        erasure=Erasure.KEEP,
        export=("chain", "address", "kind", "deployed", "deployed_at", "created_at"),
        reason="The smart account's address and owners are public on-chain; transactions and sponsorship ledgers"
        " point at the row. It stays, linked only to the anonymised user.",
    ),
]
