import uuid

from django.db import models

from apps.chain.model_fields import AddressField, Bytes32Field, Uint256Field
from lykos.crypto import EncryptedTextField


class SecretNote(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    body = EncryptedTextField(null=True)
    other = EncryptedTextField(null=True)
    body_index = models.CharField(max_length=80, blank=True, db_index=True)

    def __str__(self) -> str:
        return str(self.id)


class EvmValues(models.Model):
    """One column of each EVM model field, for their database checks and normalisation."""

    address = AddressField(blank=True)
    amount = Uint256Field(null=True, blank=True)
    hash = Bytes32Field(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.address} {self.amount} {self.hash}"
