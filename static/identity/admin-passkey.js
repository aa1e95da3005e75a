// The admin's passkey second factor: answer the request embedded in the page and post the credential back
// (helpers in webauthn-json.js, loaded first).
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("admin-passkey-form");
  if (!form) return;
  form.addEventListener("submit", async (event) => {
    if (form.elements.credential.value) return; // the answer is in: let the form post
    event.preventDefault();
    const status = document.getElementById("status");
    try {
      const options = JSON.parse(document.getElementById("passkey-options").textContent);
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
      form.elements.credential.value = JSON.stringify(credentialJSON(credential));
      form.submit();
    } catch (error) {
      status.textContent = error.message;
    }
  });
});
