"""Every identity write: sign-up, login, devices, sessions and tokens, profile, rewards, erasure,
and step-up (a fresh passkey assertion for one sensitive action).

One module per sub-domain; the public functions are re-exported here, so callers import them from
`apps.identity.services`. `ceremonies` (WebAuthn challenges and verification) and `tokens` (JWTs, refresh
tokens, the revocation cache) are the building blocks the sub-domains share.
"""

from apps.identity.services.ceremonies import authentication_options, ceremony_consume, ceremony_start
from apps.identity.services.devices import (
    device_add_begin,
    device_add_complete,
    device_rename,
    device_revoke,
)
from apps.identity.services.erasure import user_erase
from apps.identity.services.login import login_begin, passkey_assertion_verify, session_login
from apps.identity.services.profile import profile_update, username_normalize
from apps.identity.services.registration import registration_begin, registration_complete
from apps.identity.services.rewards import RewardKind, reward_credit
from apps.identity.services.sessions import (
    IssuedTokens,
    device_sessions_end,
    session_refresh,
    session_revoke,
    session_revoke_all,
    session_touch,
)
from apps.identity.services.step_up import (
    StepUpAction,
    StepUpGrant,
    params_canonical,
    step_up_confirm,
    step_up_consume,
    step_up_options,
    step_up_required,
    step_up_verify,
)

__all__ = [
    "IssuedTokens",
    "RewardKind",
    "StepUpAction",
    "StepUpGrant",
    "authentication_options",
    "ceremony_consume",
    "ceremony_start",
    "device_add_begin",
    "device_add_complete",
    "device_rename",
    "device_revoke",
    "device_sessions_end",
    "login_begin",
    "params_canonical",
    "passkey_assertion_verify",
    "profile_update",
    "registration_begin",
    "registration_complete",
    "reward_credit",
    "session_login",
    "session_refresh",
    "session_revoke",
    "session_revoke_all",
    "session_touch",
    "step_up_confirm",
    "step_up_consume",
    "step_up_options",
    "step_up_required",
    "step_up_verify",
    "user_erase",
    "username_normalize",
]
