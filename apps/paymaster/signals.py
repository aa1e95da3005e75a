"""What the paymaster announces to other apps. Sent after the settling transaction commits; the paymaster never
imports its listeners."""

from __future__ import annotations

from django.dispatch import Signal

# An operation landed and its calls succeeded. Arguments: tx (the paymaster Transaction, status "included").
operation_included = Signal()
