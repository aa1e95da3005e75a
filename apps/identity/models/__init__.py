"""Identity models, one module per concern, re-exported here for Django and for imports."""

from apps.identity.models.passkeys import Passkey
from apps.identity.models.rewards import RewardEntry
from apps.identity.models.security import SecurityEvent
from apps.identity.models.sessions import RefreshToken, Session
from apps.identity.models.users import User, UserManager

__all__ = ["Passkey", "RefreshToken", "RewardEntry", "SecurityEvent", "Session", "User", "UserManager"]
