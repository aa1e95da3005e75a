"""The paymaster's refusals: each stable `code` is declared once, here, and the API schema is derived from it."""

from __future__ import annotations

from apps.chain.errors import BUNDLER_ERRORS, BundlerUnavailable, ChainUnavailable
from apps.security.errors import AccountFrozen, SimulationUnavailable
from lykos.errors import (
    Conflict,
    DependencyUnavailable,
    InvalidRequest,
    LykosError,
    NotAuthenticated,
    NotFound,
    RuleRefused,
)


class RiskBlocked(RuleRefused):
    code = "risk_blocked"
    default_message = "The security scan blocked this transaction."


class SponsorshipRefused(RuleRefused):
    code = "sponsorship_refused"
    default_message = "No sponsorship policy covers this operation."


class SponsorshipChanged(Conflict):
    code = "sponsorship_changed"
    default_message = "The sponsorship budget changed while preparing; prepare again."


class InsufficientFunds(RuleRefused):
    code = "insufficient_funds"
    default_message = "The account cannot cover this transaction."


class InsufficientGasFunds(InsufficientFunds):
    """The bundler's estimate says the account cannot prefund its gas (AA21): the same refusal as a failed balance
    check, said before any balance is read."""

    default_message = "The account cannot cover this transaction's gas."


class TransactionNotSignable(Conflict):
    code = "transaction_not_signable"
    default_message = "This transaction is no longer waiting for a signature."


class PrepareExpired(RuleRefused):
    code = "prepare_expired"
    default_message = "This prepared transaction expired; prepare it again."


class DeviceNotAccountOwner(RuleRefused):
    code = "device_not_account_owner"
    default_message = "This passkey is not (yet) an owner of the account on-chain."


class ChainNotServed(RuleRefused):
    """A well-formed chain id that is not an enabled chain here: the schema cannot know the registry, so this is a
    rule (422), not a malformed request."""

    code = "chain_not_served"
    default_message = "Unknown or disabled chain."


class NoActiveDevice(RuleRefused):
    """Every passkey of the user is revoked or flagged (a possible clone, locked until staff review it): nothing
    may sign for the account until one is cleared or recovery adds a new one."""

    code = "no_active_device"
    default_message = "You have no active passkey to sign with."


class NoAccount(RuleRefused):
    code = "no_account"
    default_message = "You have no account on this chain yet."


#: What preparing an operation (services.transaction_prepare) refuses with, beyond the intent's own fields: no
#: account or no active device, a frozen account, the scan, sponsorship and funds, the bundler's estimate, and the
#: node, bundler, simulator or secrets provider (the paymaster's key) being down.
PREPARE_ERRORS: tuple[type[LykosError], ...] = (
    InvalidRequest,
    AccountFrozen,
    NotFound,
    SponsorshipChanged,
    ChainNotServed,
    NoAccount,
    NoActiveDevice,
    RiskBlocked,
    SponsorshipRefused,
    InsufficientFunds,
    *BUNDLER_ERRORS,
    ChainUnavailable,
    BundlerUnavailable,
    SimulationUnavailable,
    DependencyUnavailable,
)


# --- ERC-7677 integrators ---------------------------------------------------------------------------------------
# The JSON-RPC view answers these with its own error codes; the classes keep the messages and the 401 in one place.


class ApiKeyMissing(NotAuthenticated):
    code = "api_key_missing"
    default_message = "An API key is required in the X-Api-Key header."


class ApiKeyInQuery(NotAuthenticated):
    """A key in the URL ends up in access logs, proxies and browser history: it is refused, never used."""

    code = "api_key_in_query"
    default_message = (
        "API keys are accepted only in the X-Api-Key header, never in the URL (?apikey=): URLs are written to"
        " access logs and proxies. Treat the key you sent as exposed and rotate it."
    )


class ApiKeyInvalid(NotAuthenticated):
    code = "api_key_invalid"
    default_message = "Unknown or disabled API key."


class SponsorshipParamsInvalid(InvalidRequest):
    """The operation, chain, EntryPoint or context an integrator sent cannot be served (JSON-RPC invalid params)."""

    code = "sponsorship_params_invalid"
    default_message = "This chain, EntryPoint or sponsorship context is not served."


# --- device owner changes ---------------------------------------------------------------------------------------


class DeviceNotAddable(RuleRefused):
    """A revoked passkey stays revoked, and a flagged one (a possible clone) is locked until review: neither may
    become an owner of the account on-chain again."""

    code = "device_not_addable"
    default_message = "This passkey is revoked or locked for review; it cannot become an account owner."


class NoOwnerDevice(RuleRefused):
    code = "no_owner_device"
    default_message = "None of your active passkeys owns the account on every chain that still lists this device."


class RevocationInFlight(Conflict):
    code = "revocation_in_flight"
    default_message = "This device is revoked and its removal is on its way on every chain; nothing to sign."
