"""The plumbing test models hold no one's data (lykos.privacy)."""

from lykos.privacy import Declaration, NotPersonal

PRIVACY: list[Declaration] = [
    NotPersonal("testapp.SecretNote", "Test plumbing: encrypted notes without an owner."),
    NotPersonal("testapp.EvmValues", "Test plumbing: typed EVM columns."),
]
