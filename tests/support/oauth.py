"""A platform registered with our OAuth provider, and a person whose browser goes through passkey login and
consent (a requests session that keeps cookies and stops at each redirect)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

import requests

from tests.support.authenticator import SoftAuthenticator


@dataclass
class Platform:
    client_id: str
    client_secret: str
    redirect_uri: str
    application: Any


class _FormParser(HTMLParser):
    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id = form_id
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self.checkboxes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = attributes.get("id") == self.form_id
        elif tag == "input" and self.inside:
            if attributes.get("type") == "checkbox":
                self.checkboxes.append(attributes.get("value", ""))
            elif attributes.get("name"):
                self.fields.append((attributes["name"], attributes.get("value", "")))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False


@dataclass
class Person:
    """Someone with a passkey and a browser (a requests session that keeps cookies and does not follow
    redirects, so each hop of the OAuth dance can be looked at)."""

    origin: str
    authenticator: SoftAuthenticator
    browser: requests.Session = field(default_factory=requests.Session)
    tokens: dict[str, Any] = field(default_factory=dict)

    def api(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {self.tokens['access_token']}", **kwargs.pop("headers", {})}
        return requests.request(method, f"{self.origin}{path}", headers=headers, timeout=20, **kwargs)

    def sign_up(self, username: str) -> dict[str, Any]:
        begun = requests.post(f"{self.origin}/api/v1/auth/register/options", json={"username": username}, timeout=20)
        assert begun.status_code == 200, begun.text
        credential = self.authenticator.create(begun.json()["publicKey"])
        done = requests.post(
            f"{self.origin}/api/v1/auth/register/verify",
            json={"ceremony_id": begun.json()["ceremony_id"], "credential": credential, "device_name": "Phone"},
            timeout=20,
        )
        assert done.status_code == 201, done.text
        self.tokens = done.json()
        return self.tokens

    def get(self, url: str) -> requests.Response:
        return self.browser.get(urljoin(self.origin, url), allow_redirects=False, timeout=20)

    def passkey_login_for(self, login_url: str) -> str:
        """What the login page's script does: passkey login, then open a browser session, then follow next."""
        page = self.get(login_url)
        assert page.status_code == 200, page.text
        next_url = re.search(r'data-next="([^"]*)"', page.text).group(1).replace("&amp;", "&")
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text).group(1)
        begun = self.browser.post(f"{self.origin}/api/v1/auth/login/options", json={}, timeout=20).json()
        credential = self.authenticator.get(begun["publicKey"])
        tokens = self.browser.post(
            f"{self.origin}/api/v1/auth/login/verify",
            json={"ceremony_id": begun["ceremony_id"], "credential": credential},
            timeout=20,
        )
        assert tokens.status_code == 200, tokens.text
        self.tokens = tokens.json()
        opened = self.browser.post(
            f"{self.origin}/api/v1/oauth/session",
            headers={
                "Authorization": f"Bearer {self.tokens['access_token']}",
                "X-CSRFToken": csrf,
                "Referer": f"{self.origin}/login",
                "Origin": self.origin,
            },
            timeout=20,
        )
        assert opened.status_code == 200, opened.text
        return next_url

    def consent_form(self, authorize_url: str) -> tuple[list[tuple[str, str]], list[str]]:
        page = self.get(authorize_url)
        assert page.status_code == 200, (page.status_code, page.headers.get("Location"), page.text[:500])
        parser = _FormParser("consent-form")
        parser.feed(page.text)
        return parser.fields, parser.checkboxes

    def consent(self, authorize_url: str, *, untick: set[str] = frozenset(), allow: bool = True) -> str:
        """Answer the consent page; return where the browser is sent (the platform's redirect)."""
        fields, checkboxes = self.consent_form(authorize_url)
        data = [*fields, *(("scope_choice", s) for s in checkboxes if s not in untick)]
        if allow:
            data.append(("allow", "true"))
        response = self.browser.post(
            urljoin(self.origin, authorize_url.split("?")[0]),
            data=data,
            headers={"Referer": urljoin(self.origin, authorize_url), "Origin": self.origin},
            allow_redirects=False,
            timeout=20,
        )
        assert response.status_code == 302, (response.status_code, response.text[:500])
        return response.headers["Location"]
