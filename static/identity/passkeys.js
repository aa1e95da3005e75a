// Runs the passkey ceremonies of the sign-up and login pages against the identity API
// (helpers in webauthn-json.js, loaded first).
"use strict";

function setStatus(state, text) {
  const status = document.getElementById("status");
  status.dataset.state = state;
  status.textContent = text;
}

// Social profile / OAuth: the authorize page (/o/...) knows the user from a Django session, which the
// passkey login's fresh access token opens here (CSRF-protected) before the page follows `next`.
async function openBrowserSession(tokens, form) {
  const csrf = form.elements.csrfmiddlewaretoken ? form.elements.csrfmiddlewaretoken.value : "";
  const response = await fetch("/api/v1/oauth/session", {
    method: "POST",
    headers: { Authorization: `Bearer ${tokens.access_token}`, "X-CSRFToken": csrf, Accept: "application/json" },
    credentials: "same-origin",
  });
  if (!response.ok) {
    const data = await response.json().catch(() => ({}));
    const error = new Error((data.error && data.error.message) || `HTTP ${response.status}`);
    error.code = data.error && data.error.code;
    throw error;
  }
}

async function signedIn(tokens, form) {
  sessionStorage.setItem("lykos.access_token", tokens.access_token);
  sessionStorage.setItem("lykos.refresh_token", tokens.refresh_token);
  const who = tokens.user.username || tokens.user.display_name || "your wallet";
  const next = form.dataset.next;
  if (next && next.startsWith("/o/")) await openBrowserSession(tokens, form);
  setStatus("signed-in", `Signed in as ${who}.`);
  document.body.dataset.userId = tokens.user.id;
  if (next && next.startsWith("/")) window.location.assign(next);
}

async function signUp(event) {
  event.preventDefault();
  const form = event.currentTarget;
  setStatus("working", "Creating your passkey…");
  try {
    const body = {};
    for (const field of ["username", "display_name", "referral_code"]) {
      const value = form.elements[field].value.trim();
      if (value) body[field] = value;
    }
    const begun = await api("/api/v1/auth/register/options", body);
    const credential = await navigator.credentials.create({ publicKey: creationOptions(begun.publicKey) });
    const tokens = await api("/api/v1/auth/register/verify", {
      ceremony_id: begun.ceremony_id,
      credential: credentialJSON(credential),
      device_name: navigator.platform || "This device",
    });
    await signedIn(tokens, form);
  } catch (error) {
    setStatus("error", `${error.code ? error.code + ": " : ""}${error.message}`);
  }
}

async function logIn(event) {
  event.preventDefault();
  const form = event.currentTarget;
  setStatus("working", "Waiting for your passkey…");
  try {
    const username = form.elements.username.value.trim();
    const begun = await api("/api/v1/auth/login/options", username ? { username } : {});
    const credential = await navigator.credentials.get({ publicKey: requestOptions(begun.publicKey) });
    const tokens = await api("/api/v1/auth/login/verify", {
      ceremony_id: begun.ceremony_id,
      credential: credentialJSON(credential),
    });
    await signedIn(tokens, form);
  } catch (error) {
    setStatus("error", `${error.code ? error.code + ": " : ""}${error.message}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  if (!window.PublicKeyCredential) {
    setStatus("error", "This browser does not support passkeys.");
    return;
  }
  const signup = document.getElementById("signup-form");
  if (signup) signup.addEventListener("submit", signUp);
  const login = document.getElementById("login-form");
  if (login) login.addEventListener("submit", logIn);
});
