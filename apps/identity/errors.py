"""Identity's refusals, each with a stable code a wallet app can switch on."""

from lykos.errors import Conflict, InvalidRequest, LykosError, NotAuthenticated


class CeremonyError(LykosError):
    """A WebAuthn ceremony that does not verify. `code` names what was wrong."""

    http_status = 400

    def __init__(self, code: str, message: str, *, http_status: int | None = None) -> None:
        self.code = code
        if http_status is not None:
            self.http_status = http_status
        super().__init__(message)


class ChallengeInvalid(LykosError):
    code = "challenge_invalid"
    http_status = 400
    default_message = "The challenge is unknown, expired, already used, or belongs to another ceremony."


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


class SessionRevoked(NotAuthenticated):
    code = "session_revoked"
    default_message = "This session has been revoked."
