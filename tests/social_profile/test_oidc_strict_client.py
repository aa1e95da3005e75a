"""Sign in with a strict, spec-validating relying party other than Authlib: openid-client 6, unmodified, against
the live server with default settings. It checks RFC 9207 `iss` against the discovery issuer, the id_token's
signature and claims, auth_time against max_age, and userinfo's sub; the person logs in with a passkey.
Subjects are pairwise (OIDC Core 8.1): each platform sees its own stable `sub`, the same in every endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from apps.identity.models import Passkey, Session, User
from apps.identity.selectors import session_authentication
from apps.social_profile.oauth.subjects import pairwise_subject
from tests.support.oauth import Person, Platform
from tests.support.strict_rp import strict_sign_in

pytestmark = pytest.mark.django_db(transaction=True)

SCOPE = "openid profile"


def _goes(person: Person, issuer: str) -> Any:
    """The person's browser: passkey login when asked, consent unless remembered; checks `iss` on the way back."""

    def go(url: str) -> str:
        first = person.get(url)
        if first.status_code == 302 and "/login" in first.headers["Location"]:
            url = person.passkey_login_for(first.headers["Location"])
            first = person.get(url)
        back = first.headers["Location"] if first.status_code == 302 else person.consent(url)
        assert parse_qs(urlparse(back).query)["iss"] == [issuer]  # RFC 9207: equal to the discovery issuer
        return back

    return go


def _sign_in(person: Person, platform: Platform, issuer: str) -> dict[str, Any]:
    return strict_sign_in(
        issuer=issuer,
        client_id=platform.client_id,
        client_secret=platform.client_secret,
        redirect_uri=platform.redirect_uri,
        scope=SCOPE,
        person_goes=_goes(person, issuer),
    )


def test_a_strict_client_signs_in_and_each_platform_sees_its_own_stable_subject(
    make_platform, make_person, live_origin
) -> None:  # type: ignore[no-untyped-def]
    issuer = f"{live_origin}/o"
    assert requests.get(f"{live_origin}/.well-known/openid-configuration", timeout=10).json()["issuer"] == issuer
    metadata = requests.get(f"{issuer}/.well-known/oauth-authorization-server", timeout=10).json()
    assert metadata["issuer"] == issuer and metadata["authorization_response_iss_parameter_supported"] is True
    first_platform, second_platform = make_platform(), make_platform(name="Second")
    person = make_person()
    person.sign_up("strict_person")
    user = User.objects.get(username="strict_person")

    signed_in = _sign_in(person, first_platform, issuer)

    # The client itself refuses the authorization response the server used to send (`iss` = the bare origin).
    assert signed_in["forged_iss_refused"]
    claims = signed_in["id_token"]
    assert claims["iss"] == issuer and claims["aud"] == first_platform.client_id
    sub = claims["sub"]
    assert sub == pairwise_subject(user_id=user.id, application=first_platform.application)
    assert sub != str(user.id)
    assert signed_in["userinfo"]["sub"] == sub  # the client checked it too (expectedSubject)
    # How the person authenticated: the passkey that logged in, when that login happened (RFC 8176, OIDC Core 2).
    login = Session.objects.filter(user=user).order_by("-created_at").first()
    assert login is not None
    authenticated = session_authentication(session=login)
    assert claims["amr"] == authenticated.amr == Passkey.objects.get(pk=login.device_id).amr
    assert claims["auth_time"] == int(authenticated.auth_time.timestamp())
    assert abs(claims["auth_time"] - login.created_at.timestamp()) < 5
    # An id_token issued on refresh says when the user authenticated, not when the platform refreshed.
    refreshed = signed_in["refreshed"]
    assert refreshed["sub"] == sub
    assert refreshed["auth_time"] == claims["auth_time"] and refreshed["amr"] == claims["amr"]
    introspected = requests.post(
        f"{issuer}/introspect/",
        data={"token": signed_in["access_token"]},
        auth=(first_platform.client_id, first_platform.client_secret),
        timeout=10,
    ).json()
    assert introspected["active"] is True and introspected["sub"] == sub
    assert "username" not in introspected  # a public username would link the person across platforms

    other = _sign_in(person, second_platform, issuer)
    assert other["id_token"]["sub"] == other["userinfo"]["sub"]
    assert other["id_token"]["sub"] != sub

    # Stable: the same platform again (a remembered grant, no consent page) sees the same subject.
    again = _sign_in(person, first_platform, issuer)
    assert again["id_token"]["sub"] == sub and again["userinfo"]["sub"] == sub
    assert again["id_token"]["auth_time"] == claims["auth_time"]
