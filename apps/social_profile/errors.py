"""The social profile app's refusals, each with a stable code."""

from lykos.errors import Conflict, InvalidRequest, LykosError, NotFound, RuleRefused


class UploadNotAllowed(InvalidRequest):
    code = "upload_not_allowed"
    default_message = "This kind of file cannot be uploaded here."


class UploadStateInvalid(Conflict):
    code = "upload_state_invalid"
    default_message = "The upload is not in a state that allows this."


class MediaNotReady(Conflict):
    code = "media_not_ready"
    default_message = "The file has not passed its checks yet."


class VerificationInvalid(InvalidRequest):
    code = "verification_invalid"
    default_message = "The code is wrong, expired or already used."


class VerificationExhausted(RuleRefused):
    code = "verification_attempts_exhausted"
    default_message = "Too many wrong codes; request a new one."


class ChannelTaken(Conflict):
    code = "channel_taken"
    default_message = "This address is already verified by another account."


class DocumentReviewPending(Conflict):
    code = "review_pending"
    default_message = "An identity review is already pending."


class PlatformNotFound(NotFound):
    code = "not_found"
    default_message = "No such platform in your authorizations."


class ExportGone(LykosError):
    code = "export_gone"
    http_status = 410
    default_message = "This export was already downloaded or has expired; request a new one."


class ExportNotReady(Conflict):
    code = "export_not_ready"
    default_message = "The export is still being prepared."


class CsrfFailed(LykosError):
    code = "csrf_failed"
    http_status = 403
    default_message = "CSRF verification failed; reload the page and try again."
