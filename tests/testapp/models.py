import uuid

from django.db import models

from lykos.crypto import EncryptedTextField


class SecretNote(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4)
    body = EncryptedTextField(null=True)
    other = EncryptedTextField(null=True)
    body_index = models.CharField(max_length=80, blank=True, db_index=True)

    def __str__(self) -> str:
        return str(self.id)
