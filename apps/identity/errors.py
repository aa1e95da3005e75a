"""Identity's refusals, each with a stable code a wallet app can switch on."""

from django.conf import settings

from lykos.errors import Conflict, InvalidRequest, LykosError, NotAuthenticated


class ChallengeInvalid(LykosError):
    code = "challenge_invalid"
    http_status = 400
    default_message = "The challenge is unknown, expired, already used, or belongs to another ceremony."


class CeremonyError(LykosError):
    """Base of the ways a passkey's response fails to verify; raised as one of the subclasses below, which
    `services.ceremonies` maps py_webauthn's failures onto."""

    code = "ceremony_failed"
    http_status = 400
    default_message = "The passkey response does not verify."


class ChallengeMismatch(CeremonyError):
    code = "challenge_mismatch"
    default_message = "The response answers a different challenge."


class OriginMismatch(CeremonyError):
    code = "origin_mismatch"
    default_message = "The response comes from an origin we do not serve."


class RpIdMismatch(CeremonyError):
    code = "rp_id_mismatch"
    default_message = "The passkey belongs to another relying party."


class UserVerificationRequired(CeremonyError):
    code = "user_verification_required"
    default_message = "The authenticator did not verify the user."


class UserPresenceRequired(CeremonyError):
    code = "user_presence_required"
    default_message = "The authenticator did not confirm user presence."


class UnsupportedAlgorithm(CeremonyError):
    code = "unsupported_algorithm"
    default_message = "Only ES256 (P-256) passkeys are accepted."


class WrongCeremony(CeremonyError):
    code = "wrong_ceremony"
    default_message = "The response is for a different kind of ceremony."


class SignatureInvalid(CeremonyError):
    code = "invalid_signature"
    default_message = "The signature does not verify."


class MalformedCredential(CeremonyError):
    code = "malformed_credential"
    default_message = "The passkey response is malformed or incomplete."


class UserHandleMismatch(CeremonyError):
    code = "user_handle_mismatch"
    default_message = "The passkey's user handle names another user."


class UsernameTaken(Conflict):
    code = "username_taken"
    default_message = "This username is taken."


class DuplicateCredential(Conflict):
    code = "credential_exists"
    default_message = "This passkey is already registered."


class UnknownCredential(NotAuthenticated):
    code = "unknown_credential"
    default_message = "This passkey is not registered."


class DeviceRevoked(NotAuthenticated):
    code = "device_revoked"
    default_message = "This passkey was revoked."


class DeviceFlagged(NotAuthenticated):
    code = "device_flagged"
    default_message = "This passkey is locked pending a security review."


class PossibleClone(NotAuthenticated):
    code = "possible_cloned_authenticator"
    default_message = "The authenticator's signature counter went backwards; the passkey is locked for review."


class LastDevice(Conflict):
    code = "last_device"
    default_message = "This is your only passkey; add another device before revoking it."


class InvalidReferralCode(InvalidRequest):
    code = "invalid_referral_code"
    default_message = "Unknown referral code."


class RefreshTokenInvalid(NotAuthenticated):
    code = "refresh_token_invalid"
    default_message = "The refresh token is unknown or expired."


class RefreshTokenReused(NotAuthenticated):
    code = "refresh_token_reused"
    default_message = "This refresh token was already used; the session has been revoked."


class TokenInvalid(NotAuthenticated):
    code = "token_invalid"
    default_message = "The access token is not valid."


class TokenExpired(TokenInvalid):
    code = "token_expired"
    default_message = "The access token has expired."


class SessionRevoked(NotAuthenticated):
    code = "session_revoked"
    default_message = "This session has been revoked."


class AccountDisabled(NotAuthenticated):
    code = "account_disabled"
    default_message = "This account is disabled."


class StepUpRequired(LykosError):
    """A sensitive action needs a fresh passkey assertion bound to that action (GitHub's sudo mode). 401 with
    RFC 9470's `insufficient_user_authentication` challenge, so a standard OAuth client knows to re-authenticate
    rather than refresh; `details.step_up` carries the WebAuthn request options to do it at once."""

    code = "step_up_required"
    http_status = 401
    default_message = "This action needs a fresh passkey confirmation."

    def headers(self) -> dict[str, str]:
        max_age = settings.STEP_UP_TTL_SECONDS
        return {"WWW-Authenticate": f'Bearer error="insufficient_user_authentication", max_age={max_age}'}


#: What verifying a passkey's response (a registration or an assertion) can refuse with.
PASSKEY_RESPONSE_ERRORS: tuple[type[CeremonyError], ...] = (
    ChallengeMismatch,
    OriginMismatch,
    RpIdMismatch,
    UserVerificationRequired,
    UserPresenceRequired,
    UnsupportedAlgorithm,
    WrongCeremony,
    SignatureInvalid,
    MalformedCredential,
    UserHandleMismatch,
)
#: What proving possession of a registered passkey (login, signing an operation) can refuse with.
PASSKEY_ASSERTION_ERRORS: tuple[type[LykosError], ...] = (
    *PASSKEY_RESPONSE_ERRORS,
    UnknownCredential,
    DeviceRevoked,
    DeviceFlagged,
    PossibleClone,
)
