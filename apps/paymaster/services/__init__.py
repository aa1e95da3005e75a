"""Every paymaster write and rule, one module per step of an operation's life:

- `prepare`: build -> scan -> sponsor -> persist (with `builder`, `intents`, `sponsorship`);
- `signing`: the passkey assertion over the userOpHash; `submission`: the bundler and the receipt;
- `closing`: operations that will never land; `owners`: device owner changes on-chain; `revocation`: a device
  revoke that signs its removal on every chain in the same passkey ceremony, and the reconciler that lands it;
- `erc7677`: sponsorship for outside clients through the same policies and ledger.
"""

from apps.paymaster.services.closing import transactions_expire_stale
from apps.paymaster.services.erc7677 import (
    api_key_authenticate,
    api_key_create,
    external_sponsorships_settle,
    paymaster_data_reserve,
    paymaster_stub_data,
)
from apps.paymaster.services.owners import device_owner_change_prepare, device_owner_changes_prepare
from apps.paymaster.services.prepare import transaction_prepare
from apps.paymaster.services.revocation import (
    RevocationStatus,
    device_revocation_begin,
    device_revocation_complete,
    device_revocation_status,
    owner_removals_reconcile,
)
from apps.paymaster.services.signing import transaction_sign, transaction_signing_options
from apps.paymaster.services.sponsorship import (
    SponsorshipDecision,
    SponsorshipRequest,
    sponsorship_evaluate,
    sponsorship_release,
    sponsorship_reserve,
    sponsorship_settle,
)
from apps.paymaster.services.submission import transaction_receipt_apply, transaction_submit, transaction_track

__all__ = [
    "RevocationStatus",
    "SponsorshipDecision",
    "SponsorshipRequest",
    "api_key_authenticate",
    "api_key_create",
    "device_owner_change_prepare",
    "device_owner_changes_prepare",
    "device_revocation_begin",
    "device_revocation_complete",
    "device_revocation_status",
    "external_sponsorships_settle",
    "owner_removals_reconcile",
    "paymaster_data_reserve",
    "paymaster_stub_data",
    "sponsorship_evaluate",
    "sponsorship_release",
    "sponsorship_reserve",
    "sponsorship_settle",
    "transaction_prepare",
    "transaction_receipt_apply",
    "transaction_sign",
    "transaction_signing_options",
    "transaction_submit",
    "transaction_track",
    "transactions_expire_stale",
]
