"""G0 security services: every write of this app and every business rule, one module per sub-domain. Views, tasks,
admin actions and the transaction flow call the same functions, imported from here.

The transaction flow's interface: `scan_user_operation`, `account_is_frozen`, `ensure_not_frozen` (raises
`AccountFrozen`, 403 `account_frozen`), `sponsorship_refusal_record` and `counterparty_record`.
"""

from apps.security.errors import AccountFrozen, SimulationUnavailable
from apps.security.services.counterparties import counterparty_record
from apps.security.services.erasure import security_data_erase
from apps.security.services.feedback import scan_feedback_record
from apps.security.services.freezes import account_freeze, account_is_frozen, account_unfreeze, ensure_not_frozen
from apps.security.services.reviews import (
    review_case_approve,
    review_case_assign,
    review_case_freeze_account,
    review_case_open,
    review_case_reject,
    review_case_unfreeze_account,
    sponsorship_refusal_record,
)
from apps.security.services.scans import scan_message, scan_transaction, scan_user_operation
from apps.security.services.threats import (
    known_address_upsert,
    simulation_rescore,
    threat_entry_upsert,
    threat_list_rescan,
)
from apps.security.verdicts import Verdict, Warning

__all__ = [
    "AccountFrozen",
    "SimulationUnavailable",
    "Verdict",
    "Warning",
    "account_freeze",
    "account_is_frozen",
    "account_unfreeze",
    "counterparty_record",
    "ensure_not_frozen",
    "known_address_upsert",
    "review_case_approve",
    "review_case_assign",
    "review_case_freeze_account",
    "review_case_open",
    "review_case_reject",
    "review_case_unfreeze_account",
    "scan_feedback_record",
    "scan_message",
    "scan_transaction",
    "scan_user_operation",
    "security_data_erase",
    "simulation_rescore",
    "sponsorship_refusal_record",
    "threat_entry_upsert",
    "threat_list_rescan",
]
